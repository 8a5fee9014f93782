"""A hard board on 127.0.0.1, crawled for real: page-number paging, relative times, GBK declared only in a
<meta>, a GB2312 page whose header lies, an undeclared Big5 page, broken HTML, a missing field, a slow page, a
20 MB page, 404/500, a robots.txt disallow, tracking parameters, a pinned duplicate and a copy under another
id. Then a second crawl: list heat, an edit and two removals found by revisiting young threads."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from store.mentions import mention_id
from store.mentions.sqlite import SqliteMentionStore

SOURCE = """sources:
  - id: hard
    name: 难啃论坛
    start_urls: ["{url}/list?page=1"]
    post_id_pattern: "/thread/(\\\\d+)"
    unit: county
    allow_private_addresses: true
    download_delay: 0
    concurrency: 4
    max_page_bytes: 1048576
    revisit_every_seconds: 600
    list:
      item: "li.row"
      url: "a.t::attr(href)"
      title: "a.t::text"
      published_at: "span.time::text"
      author: "xpath:.//span[@class='who']/text()"
      reply_count: "span.re::text"
      view_count: "span.vw::text"
      status: "span.st::text"
      page_url: "{url}/list?page={{page}}"
      max_pages: 3
    thread:
      title: "h1::text"
      content: "div.content"
      published_at: "span.posted::text"
      author: "span.author::text"
      deleted_markers: ["该帖已被删除"]
"""

TITLES = {
    12: "学校食堂饭菜变质",
    11: "学校食堂饭菜变质",  # the same thread again under another id
    10: "幸福路积水严重",
    9: "县一中乱收补课费",
    8: "城关镇拆迁补偿不公",
    7: "公交车司机態度惡劣",
    6: "网页结构坏了的帖子",
    5: "超长帖子",
    4: "慢吞吞的服务器",
    3: "服务器出错的帖子",
    2: "已经不存在的帖子",
}
# Thread pages say when they were posted: hours ago, never a fixed date, or the posts age out of the revisit
# window (revisit_hours, 48 by default) and a calendar day later the second crawl no longer revisits them.
BEIJING = timezone(timedelta(hours=8))
POSTED_AT = (datetime.now(UTC) - timedelta(hours=6)).replace(second=0, microsecond=0)
POSTED = POSTED_AT.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")
TIMES = {12: "刚刚", 11: "5分钟前", 10: "昨天 10:21", 9: "03-05 14:20", 8: "2024年3月5日", 7: "半小时前"}


def _row(n: int, *, replies: int = 3, views: str = "1.2万", status: str = "未回复") -> str:
    href = f"/thread/{n}?utm_source=wechat&from=timeline#reply" if n == 10 else f"/thread/{n}"
    return (
        f"<li class='row'><a class='t' href='{href}'>{TITLES[n]}</a><span class='time'>{TIMES.get(n, '')}</span>"
        f"<span class='who'>网友{n}</span><span class='re'>回复 {replies}</span><span class='vw'>{views}</span>"
        f"<span class='st'>{status}</span></li>"
    )


def _thread(n: int, body: str, *, posted: str | None = POSTED) -> str:
    time_html = f"<span class='posted'>{posted}</span>" if posted else ""
    return f"<h1>{TITLES[n]}</h1>{time_html}<span class='author'>网友{n}</span><div class='content'>{body}</div>"


def _setup(site: Any, *, heat: int = 3) -> None:
    site.allow_all()
    site.raw("/robots.txt", b"User-agent: *\nDisallow: /private/\n", "text/plain")
    pinned = _row(12)  # pinned at the top and listed again in place: one post
    site.html("/list?page=1", f"<ul>{pinned}{_row(12)}{_row(11)}{_row(10, replies=heat)}{_row(9)}{_row(8)}</ul>")
    site.html("/list?page=2", f"<ul>{_row(7)}{_row(6)}{_row(5)}{_row(4)}{_row(3)}{_row(2)}</ul>")
    site.html("/list?page=3", "<ul><li class='row'><a class='t' href='/private/thread/1'>内部</a></li></ul>")
    site.html("/thread/12", _thread(12, "<p>城关一中食堂饭菜变质，学生呕吐。</p>", posted=None))
    site.html("/thread/11", _thread(11, "<p>城关一中食堂饭菜变质，学生呕吐。</p>", posted=None))  # the same text
    site.html("/thread/10", _thread(10, "<p>下雨后幸福路积水没过脚踝。</p><script>alert('x')</script>"))
    site.html("/thread/9", _thread(9, "<p>县一中每人收补课费八百元。</p>"), charset="gbk", declare="meta")
    site.raw(  # GB2312 bytes served as UTF-8: an old county board's misconfigured server
        "/thread/8",
        _thread(8, "<p>城关镇拆迁补偿标准不一，群众意见很大。</p>").encode("gb2312"),
        "text/html; charset=utf-8",
    )
    site.html("/thread/7", _thread(7, "<p>公交車司機態度惡劣，乘客投訴無門。</p>"), charset="big5", declare=None)
    site.html("/thread/6", "<html><body><h1>网页结构坏了的帖子<div class='content'><p>正文没有结束标签<b>加粗")
    filler = "<p>" + "很长的内容。" * 200 + "</p>"
    big = _thread(5, "<p>超长帖子的开头一段。</p>" + filler * 5600)  # ~20 MB
    site.html("/thread/5", big)
    site.html("/thread/4", _thread(4, "<p>这个服务器很慢。</p>"), delay=2.0)
    site.raw("/thread/3", b"server error", "text/html", status=500)
    site.raw("/private/thread/1", b"<h1>secret</h1>")


def test_hard_board_first_crawl_then_heat_edits_and_removals(
    tmp_path: Path, mock_site: Any, make_config: Any, crawl: Callable[..., Any]
) -> None:
    _setup(mock_site)
    config_dir = make_config(tmp_path / "config", board_url=mock_site.url)
    (config_dir / "sources.yaml").write_text(SOURCE.format(url=mock_site.url), encoding="utf-8")
    data = tmp_path / "data"

    first = crawl(config_dir, data, "hard")
    assert first.returncode == 0, first.log[-3000:]
    by_id = {i["post_id"]: i for i in first.items}
    # Every post with text is stored; 3 (500 after retries), 2 (404) and the robots-disallowed one are not.
    assert set(by_id) == {"12", "11", "10", "9", "8", "7", "6", "5", "4"}, first.log[-3000:]
    assert first.summary["new"] == 8 and first.summary["duplicates"] == 1  # 11 is 12's text under another id
    assert "/private/thread/1" not in mock_site.hits and first.summary["refused"] == 1  # robots.txt
    assert first.summary["errors"] == 2 and mock_site.count("/thread/3") == 3  # two retries
    assert "/thread/2" in first.log and "/thread/3" in first.log  # failures are logged with their URL

    assert by_id["10"]["url"] == f"{mock_site.url}/thread/10"  # tracking parameters and fragment dropped
    assert by_id["10"]["content"] == "下雨后幸福路积水没过脚踝。"  # the inline script is not content
    assert (by_id["10"]["reply_count"], by_id["10"]["view_count"], by_id["10"]["status"]) == (3, 12000, "未回复")
    assert by_id["9"]["content"] == "县一中每人收补课费八百元。"  # GBK from <meta>
    assert by_id["8"]["content"] == "城关镇拆迁补偿标准不一，群众意见很大。"  # the header lied
    assert by_id["7"]["content"] == "公交車司機態度惡劣，乘客投訴無門。"  # undeclared Big5
    assert first.summary["encoding_mismatches"] >= 1
    for item in first.items:
        assert "\ufffd" not in item["title"] + item["content"], item
    assert by_id["6"]["title"] == "网页结构坏了的帖子" and "正文没有结束标签" in by_id["6"]["content"]
    assert by_id["6"]["author"] == "网友6"  # from the list (XPath) when the thread page has none
    assert by_id["5"]["content"].startswith("超长帖子的开头一段。")  # cut at max_page_bytes, kept, flagged
    assert by_id["5"]["notes"] and "截断" in by_id["5"]["notes"][0]
    assert first.summary["oversized_pages"] == 1
    assert by_id["4"]["content"] == "这个服务器很慢。"

    now = datetime.now(UTC)
    published = {k: datetime.fromisoformat(v["published_at"]) for k, v in by_id.items() if v["published_at"]}
    assert now - published["12"] < timedelta(minutes=5)  # 刚刚, from the list
    assert timedelta(minutes=3) < now - published["11"] < timedelta(minutes=8)  # 5分钟前
    assert published["10"] == POSTED_AT  # the thread's own time wins

    # --- a second crawl, an hour later as far as the revisit schedule is concerned ---------------------------
    store = SqliteMentionStore(data / "mentions.sqlite3")
    hour_ago = int((now - timedelta(hours=2) - datetime(1970, 1, 1, tzinfo=UTC)) / timedelta(microseconds=1))
    with sqlite3.connect(data / "mentions.sqlite3") as conn:
        conn.execute("UPDATE mentions SET last_seen_at = ?", (hour_ago,))
    _setup(mock_site, heat=40)  # the list shows more replies on 10
    mock_site.html("/thread/9", _thread(9, "<p>县一中每人收补课费八百元，已向教育局反映。</p>"), charset="gbk")
    mock_site.raw("/thread/6", b"gone", "text/plain", status=404)
    mock_site.html("/thread/7", "<div class='content'>该帖已被删除</div>")
    second = crawl(config_dir, data, "hard")
    assert second.returncode == 0, second.log[-3000:]
    assert second.summary["new"] == 0 and second.summary["removed"] == 2
    assert second.summary["counts_changed"] >= 1 and second.summary["revisited"] >= 5
    assert mock_site.count("/list?page=2") == 1  # page 1 held nothing new: no paging
    by_mention = {m.post_id: m for m in store.get_many([mention_id("hard", str(n)) for n in TITLES])}
    assert by_mention["9"].edits == 1 and "已向教育局反映" in by_mention["9"].content
    assert by_mention["6"].deleted_at is not None and by_mention["7"].deleted_at is not None
    assert by_mention["7"].content == "公交車司機態度惡劣，乘客投訴無門。"  # a removed complaint keeps its text
    assert by_mention["10"].reply_count == 40
    heat = store.count_history(mention_id("hard", "10"))
    assert [h.reply_count for h in heat] == [3, 40]
    store.close()
