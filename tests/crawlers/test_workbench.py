"""The selector workbench shows what each selector takes — the same extraction a crawl stores."""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from config import load_config
from crawlers.workbench import WorkbenchError, fetch, read_file, report
from yuqing.cli import main
from yuqing.demo.board import SampleBoard


@pytest.fixture
def board() -> Iterator[SampleBoard]:
    board = SampleBoard.with_seed()
    board.start()
    yield board
    board.stop()


@pytest.fixture
def config_dir(tmp_path: Path, board: SampleBoard, make_config: Any) -> Path:
    path: Path = make_config(tmp_path / "config", board_url=board.base_url)
    return path


def test_list_and_thread_reports(config_dir: Path, board: SampleBoard) -> None:
    source = load_config(config_dir).source("demo-tousu")
    listing = report(source, fetch(source, f"{board.base_url}/tousu/list"))
    newest = board.posts("tousu")[0]
    assert "列表页" in listing and "列表项（li.post-item）：12 个，其中可用 12 个" in listing
    assert f"帖子 {newest.id}  {newest.title}" in listing and "问题：无" in listing
    thread = report(source, fetch(source, f"{board.base_url}/tousu/thread/{newest.id}"))
    assert "帖子页" in thread and f"标题（h1.thread-title::text）：{newest.title}" in thread
    assert "编码：gb18030" in thread and "无法解析" not in thread


def test_saved_page_and_a_wrong_selector(config_dir: Path, board: SampleBoard, tmp_path: Path, capsys: Any) -> None:
    import urllib.request

    saved = tmp_path / "list.html"
    saved.write_bytes(urllib.request.urlopen(f"{board.base_url}/tousu/list").read())  # GBK bytes, as saved
    sources = config_dir / "sources.yaml"
    sources.write_text(
        sources.read_text(encoding="utf-8").replace('item: "li.post-item"', 'item: "li.topic"', 1), encoding="utf-8"
    )
    code = main(
        [
            "source",
            "try",
            "demo-baixing",
            "--config",
            str(config_dir),
            "--file",
            str(saved),
            "--as",
            "list",
            "--url",
            f"{board.base_url}/tousu/list",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "列表项（li.topic）：0 个" in out and "列表项选择器 'li.topic' 在此页一个也没选中" in out


def test_polite_and_safe(config_dir: Path, board: SampleBoard, tmp_path: Path) -> None:
    source = load_config(config_dir).source("demo-baixing")
    with pytest.raises(WorkbenchError, match=r"robots\.txt 不允许抓取"):
        fetch(source, f"{board.base_url}/admin/secret")
    strict = source.model_copy(update={"allow_private_addresses": False})
    with pytest.raises(WorkbenchError, match="内网或本机地址"):
        fetch(strict, f"{board.base_url}/baixing/list")
    assert "帖子页" in report(source, read_file(source, _page(tmp_path)), as_thread=True)


def test_a_board_that_is_down_says_it_is_down(config_dir: Path, mock_site: Any) -> None:
    source = load_config(config_dir).source("demo-baixing")
    with socket.socket() as s:  # a port nobody listens on: the board is down
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(WorkbenchError) as raised:
        fetch(source, f"http://127.0.0.1:{port}/list")
    assert "拒绝连接" in str(raised.value) and "停止服务" in str(raised.value)
    assert "不允许" not in str(raised.value)
    mock_site.raw("/robots.txt", b"oops", status=503)
    with pytest.raises(WorkbenchError, match=r"暂时不可用.*HTTP 503"):
        fetch(source, f"{mock_site.url}/list")
    mock_site.raw("/list", b"<ul></ul>")  # no robots.txt at all (404): allowed, as Scrapy treats it
    mock_site.pages.pop("/robots.txt")
    assert fetch(source, f"{mock_site.url}/list").fetched
    mock_site.raw("/robots.txt", b"", status=403)
    with pytest.raises(WorkbenchError, match=r"robots\.txt 不允许抓取"):
        fetch(source, f"{mock_site.url}/list")


def _page(tmp_path: Path) -> Path:
    page = tmp_path / "t.html"
    page.write_text("<h1 class='thread-title'>标题</h1><div class='thread-content'><p>正文</p></div>", encoding="utf-8")
    return page


def test_a_field_found_on_no_item_is_a_problem(config_dir: Path, board: SampleBoard) -> None:
    source = load_config(config_dir).source("demo-tousu")
    assert source.list is not None
    broken = source.model_copy(
        update={"list": source.list.model_copy(update={"published_at": "span.no-such-time::text", "author": "em"})}
    )
    shown = report(broken, fetch(broken, f"{board.base_url}/tousu/list"), show=None)
    assert "时间 0/12" in shown and "作者 0/12" in shown and "标题 12/12" in shown
    assert "时间（span.no-such-time::text）在所有列表项上都没有取到内容" in shown and "问题：无" not in shown
    assert "另有" not in shown  # show=None: every item


def test_votes_selectors_are_shown_on_a_thread_page(config_dir: Path, tmp_path: Path) -> None:
    source = load_config(config_dir).source("demo-baixing")
    assert source.thread is not None
    voted = source.model_copy(
        update={"thread": source.thread.model_copy(update={"up_votes": "b.zan::text", "down_votes": "b.fan::text"})}
    )
    page = tmp_path / "v.html"
    page.write_text(
        "<h1 class='thread-title'>标题</h1><div class='thread-content'><p>正文</p></div><b class=zan>点赞 1.2万</b>",
        encoding="utf-8",
    )
    shown = report(voted, read_file(voted, page), as_thread=True)
    assert "点赞数（b.zan::text）：12000" in shown and "反对数（b.fan::text）：—" in shown


def test_without_url_it_reads_the_sources_first_list_page(
    config_dir: Path, board: SampleBoard, capsys: Any, english_in: Any
) -> None:
    """`source try SOURCE` alone looks at the list page the crawl starts from (it used to fail on b''), in Chinese."""
    assert main(["source", "try", "demo-tousu", "--config", str(config_dir)]) == 0
    out = capsys.readouterr()
    assert f"列表页 {board.base_url}/tousu/list" in out.out and "其中可用 12 个" in out.out
    # Echoed as the operator writes them: what sources.yaml says of the source (its name …GBK 编码, its selectors)
    # and the command's options.
    written = set(
        re.findall(
            r"[A-Za-z_][\w.\-]*",
            json.dumps(load_config(config_dir).source("demo-tousu").model_dump(mode="json"), ensure_ascii=False),
        )
    )
    english = english_in(out.out + out.err, also={*written, "all", "as", "thread", "list", "url", "file"})
    assert english == [], "\n".join(english)
