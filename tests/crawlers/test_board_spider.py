"""Real Scrapy crawls (one subprocess each, as the scheduler runs them) of local sites on 127.0.0.1."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from yuqing.demo.board import SampleBoard


@pytest.fixture
def board() -> Iterator[SampleBoard]:
    board = SampleBoard.with_seed()
    board.start()
    yield board
    board.stop()


def test_crawl_gbk_board_stores_every_post_without_mojibake(
    crawl: Any, tmp_path: Path, board: SampleBoard, make_config: Any, english_in: Any
) -> None:
    config_dir = make_config(tmp_path / "config", board_url=board.base_url, download_delay=0)
    result = crawl(config_dir, tmp_path / "data", "demo-tousu")
    assert result.returncode == 0, result.log[-3000:]
    stamped = [line for line in result.log.splitlines() if re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", line)]
    # The message after the time, the logger's [name] if any (Scrapy's own handler) and the level (ours: 信息).
    messages = [re.sub(r"^\S+ \S+ (?:\[[^\]]+\] )?\S+ ", "", line) for line in stamped]
    twice = [m for m, n in Counter(messages).items() if n > 1]
    assert messages and not twice, f"log lines printed twice: {twice}"
    # What an operator reads is Chinese: Scrapy's start-up narration and stats dump are left out, its lines about
    # the crawl said in Chinese (addresses stay as they are).
    english = english_in("\n".join(x for x in result.log.splitlines() if not x.startswith("{")), also={"GBK"})
    assert not english, f"English in the crawl log: {english}"  # the JSON summary line is for the scheduler
    assert "开始抓取" in messages and "抓取结束（正常完成）" in messages
    assert "「投诉直通车（示例，GBK 编码）」抓取完成：下载 " in result.log  # the summary an operator reads
    assert not re.search(r"^\s*[\[{]'", result.log, re.M), "Scrapy's settings or versions table was printed"
    posts = {str(p.id): p for p in board.posts("tousu")}
    assert result.summary["new"] == len(posts) and result.summary["parse_failures"] == 0
    by_id = {item["post_id"]: item for item in result.items}
    assert set(by_id) == set(posts)
    for post_id, post in posts.items():
        item = by_id[post_id]
        assert item["title"] == post.title
        assert item["author"] == post.author
        assert item["published_at"] is not None
        assert post.content.split("\n")[0].strip()[:20] in item["content"]
        assert "\ufffd" not in item["title"] + item["content"]
    with sqlite3.connect(tmp_path / "data" / "mentions.sqlite3") as conn:
        assert conn.execute("SELECT COUNT(*) FROM mentions").fetchone()[0] == len(posts)


def test_recrawl_of_unchanged_board_fetches_no_thread_and_adds_nothing(
    crawl: Any, tmp_path: Path, board: SampleBoard, make_config: Any
) -> None:
    config_dir = make_config(tmp_path / "config", board_url=board.base_url, download_delay=0)
    first = crawl(config_dir, tmp_path / "data", "demo-baixing")
    assert first.returncode == 0 and first.summary["new"] == len(board.posts("baixing"))
    second = crawl(config_dir, tmp_path / "data", "demo-baixing")
    assert second.returncode == 0
    assert second.summary["new"] == 0 and second.summary["items"] == 0
    assert second.summary["responses"] <= 2  # robots.txt and the first list page
    new = board.add_post("baixing", "新帖：幸福路积水严重", "下雨后幸福路积水没过脚踝，希望尽快疏通。")
    third = crawl(config_dir, tmp_path / "data", "demo-baixing")
    assert third.summary["new"] == 1 and [i["post_id"] for i in third.items] == [str(new.id)]


def test_hostile_post_is_stored_as_text(crawl: Any, tmp_path: Path, board: SampleBoard, make_config: Any) -> None:
    config_dir = make_config(tmp_path / "config", board_url=board.base_url, download_delay=0)
    items = (
        crawl(config_dir, tmp_path / "data", "demo-baixing").items
        + crawl(config_dir, tmp_path / "data", "demo-tousu").items
    )
    hostile = [i for i in items if "<script>" in i["title"] + i["content"]]
    assert hostile, "the seed's hostile post should come through as literal text"


# --- a small hostile site (the mock site of conftest.py): broken pages, errors, robots.txt, private addresses


SITE_SOURCE = """sources:
  - id: small
    name: 小论坛
    start_urls: ["{url}/list"]
    post_id_pattern: "/t/(\\\\d+)"
    unit: county
    allow_private_addresses: {private}
    download_delay: 0
    list:
      item: "li"
      url: "a::attr(href)"
      next_page: "a.next::attr(href)"
    thread:
      title: "h1::text"
      content: "div.c"
      published_at: "span.t::text"
"""


def _site_config(tmp_path: Path, make_config: Any, url: str, *, private: bool = True) -> Path:
    config_dir: Path = make_config(tmp_path / "config", board_url=url)
    (config_dir / "sources.yaml").write_text(
        SITE_SOURCE.format(url=url, private="true" if private else "false"), encoding="utf-8"
    )
    return config_dir


def _health(data_dir: Path) -> tuple[Any, ...]:
    with sqlite3.connect(data_dir / "workflow.sqlite3") as conn:
        row = conn.execute(
            "SELECT consecutive_failures, total_parse_failures, last_items, last_success_at FROM source_health"
        ).fetchone()
    assert row is not None
    return tuple(row)


def test_broken_pages_are_counted_and_the_crawl_goes_on(
    crawl: Any, tmp_path: Path, mock_site: Any, make_config: Any
) -> None:
    mock_site.allow_all()
    mock_site.html(
        "/list",
        "<ul><li><a href='/t/1'>好帖</a></li><li><a href='/t/2'>坏帖</a></li><li><a href='/t/3'>丢失</a></li>"
        "<li><a href='/t/4'>五百</a></li><li>没有链接</li><li><a href='/elsewhere'>外链</a></li></ul>",
    )
    mock_site.html(
        "/t/1",
        "<h1>食堂饭菜变质</h1><span class='t'>昨天 10:21</span><div class='c'><p>正文一</p>"
        "<script>var x = '<b>';</script><p>正文二</p></div>",
    )
    mock_site.html("/t/2", "<html><body><h1>只有标题<div class='x'><p>unclosed <b>tags")  # no content div
    mock_site.raw("/t/4", b"server error", status=500)
    config_dir = _site_config(tmp_path, make_config, mock_site.url)
    result = crawl(config_dir, tmp_path / "data", "small")
    assert result.returncode == 0, result.log[-3000:]
    by_id = {i["post_id"]: i for i in result.items}
    assert by_id["1"]["content"] == "正文一\n正文二"  # inline script text is not content
    assert by_id["1"]["published_at"] is not None
    assert by_id["2"]["title"] == "只有标题" and by_id["2"]["content"] == ""  # kept with what did parse
    assert set(by_id) == {"1", "2"}
    # Two list items without a usable thread link, one thread without content: three parse failures.
    assert result.summary["parse_failures"] == 3
    assert result.summary["errors"] == 2  # the 404 and the 500 (after retries)
    assert "/t/3" in result.log and "/t/4" in result.log  # failures are logged with their URL
    failures, parse_failures, items, last_success = _health(tmp_path / "data")
    assert (failures, parse_failures, items) == (0, 3, 2) and last_success


def test_robots_txt_is_obeyed(crawl: Any, tmp_path: Path, mock_site: Any, make_config: Any) -> None:
    mock_site.raw("/robots.txt", b"User-agent: *\nDisallow: /list\n", "text/plain")
    mock_site.html("/list", "<ul><li><a href='/t/1'>x</a></li></ul>")
    config_dir = _site_config(tmp_path, make_config, mock_site.url)
    result = crawl(config_dir, tmp_path / "data", "small")
    assert "/list" not in mock_site.hits and result.items == []
    assert _health(tmp_path / "data")[0] == 1  # no list page read: the run counts as a failure


def test_private_addresses_refused_unless_the_source_allows(
    crawl: Any, tmp_path: Path, mock_site: Any, make_config: Any
) -> None:
    mock_site.allow_all()
    mock_site.html("/list", "<ul><li><a href='/t/1'>x</a></li></ul>")
    config_dir = _site_config(tmp_path, make_config, mock_site.url, private=False)
    result = crawl(config_dir, tmp_path / "data", "small")
    assert result.items == [] and "/list" not in mock_site.hits
    assert "refused private or loopback address" in result.log
    failures = _health(tmp_path / "data")[0]
    assert failures == 1


def test_plain_scrapy_crawl_works_from_the_project(tmp_path: Path, board: SampleBoard, make_config: Any) -> None:
    """A normal Scrapy project: `scrapy crawl board -a source=ID` in crawlers/, on a data dir nobody set up."""
    config_dir = make_config(tmp_path / "config", board_url=board.base_url, download_delay=0)
    env = {**os.environ, "YUQING_CONFIG_DIR": str(config_dir), "YUQING_DATA_DIR": str(tmp_path / "data")}
    env.pop("YUQING_WORKFLOW_DB", None)
    done = subprocess.run(
        [str(Path(sys.executable).parent / "scrapy"), "crawl", "board", "-a", "source=demo-baixing"],
        cwd=Path(__file__).resolve().parents[2] / "crawlers",
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    with sqlite3.connect(tmp_path / "data" / "mentions.sqlite3") as conn:
        assert conn.execute("SELECT COUNT(*) FROM mentions").fetchone()[0] == len(board.posts("baixing"))
    assert _health(tmp_path / "data")[0] == 0  # the run's health was recorded, as a success


def test_a_crawl_cut_short_leaves_no_gap(crawl: Any, tmp_path: Path, mock_site: Any, make_config: Any) -> None:
    """Page 2 fails (or the crawl is killed) after page 1 was stored: the next crawl must not stop at page 1,
    all of whose posts are known by then, but go on to page 2."""
    mock_site.allow_all()
    mock_site.html(
        "/list",
        "<ul><li><a href='/t/3'>三</a></li><li><a href='/t/2'>二</a></li></ul><a class='next' href='/list2'>下一页</a>",
    )
    mock_site.raw("/list2", b"busy", status=500)
    for n in (1, 2, 3):
        mock_site.html(f"/t/{n}", f"<h1>帖子{n}</h1><div class='c'>正文{n}</div>")
    config_dir = _site_config(tmp_path, make_config, mock_site.url)
    data = tmp_path / "data"
    first = crawl(config_dir, data, "small")
    assert {i["post_id"] for i in first.items} == {"2", "3"} and not first.summary["catch_up"]
    mock_site.html("/list2", "<ul><li><a href='/t/1'>一</a></li></ul>")
    second = crawl(config_dir, data, "small")
    assert second.returncode == 0, second.log[-3000:]
    assert second.summary["catch_up"] and [i["post_id"] for i in second.items] == ["1"]
    third = crawl(config_dir, data, "small")  # that one finished: back to stopping at a page of known posts
    assert not third.summary["catch_up"] and third.summary["responses"] <= 2
