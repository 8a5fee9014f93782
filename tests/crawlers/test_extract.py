"""What selectors, feeds and JSON paths take from pages (table-driven), and real Tieba list pages."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from scrapy.http import HtmlResponse

from config.sources import Source
from crawlers.encoding import decode_page
from crawlers.extract import (
    ListEntry,
    canonical_url,
    count,
    dig,
    extract_json,
    extract_list,
    extract_thread,
    first_text,
    page_url,
)
from crawlers.workbench import Page, read_file, report
from store.mentions import OfficialReply

COUNTS = [
    ("12", 12),
    ("回复 1,234", 1234),
    ("1.2万", 12000),
    ("3w", 30000),
    ("阅读(56)", 56),
    ("", None),
    ("无", None),
    (7, 7),
    (None, None),
]


@pytest.mark.parametrize(("text", "expected"), COUNTS)
def test_count(text: Any, expected: int | None) -> None:
    assert count(text) == expected


URLS = [
    ("http://a.cn/t/1?utm_source=wx&id=3#reply", "http://a.cn/t/1?id=3"),
    ("http://a.cn/t/1?spm=a.b.c", "http://a.cn/t/1"),
    ("http://a.cn/thread.php?tid=5&page=2", "http://a.cn/thread.php?tid=5&page=2"),
    ("http://a.cn/t/1", "http://a.cn/t/1"),
]


@pytest.mark.parametrize(("url", "expected"), URLS)
def test_canonical_url(url: str, expected: str) -> None:
    assert canonical_url(url) == expected


def test_dig() -> None:
    data = {"data": {"list": [{"a": 1}, {"a": 2}]}}
    assert dig(data, "data.list.1.a") == 2 and dig(data, "data.list.-1.a") == 2
    assert dig(data, "data.missing.a") is None and dig(data, "data.list.9") is None and dig([1], "") == [1]


def _source(**overrides: Any) -> Source:
    base: dict[str, Any] = {
        "id": "x",
        "name": "x",
        "start_urls": ["http://board.cn/list"],
        "post_id_pattern": r"/t/(\d+)",
        "list": {"item": "li", "url": "a::attr(href)", "title": "a::text", "page_url": "http://board.cn/l?p={page}"},
        "thread": {"title": "h1::text", "content": "xpath://div[@id='c']//p"},
    }
    base.update(overrides)
    return Source.model_validate(base)


def test_list_xpath_thread_and_page_template() -> None:
    source = _source()
    listing = HtmlResponse(
        url="http://board.cn/list",
        body="<ul><li><a href='/t/2'>二</a></li><li><a href='/t/2'>二（置顶）</a></li><li>坏</li></ul>".encode(),
        encoding="utf-8",
    )
    page = extract_list(listing, source)
    assert [e.post_id for e in page.entries] == ["2"] and len(page.failures) == 1
    assert page_url(source, 2) == "http://board.cn/l?p=2"
    thread = HtmlResponse(
        url="http://board.cn/t/2",
        body="<h1>标题</h1><div id='c'><p>一<script>x()</script></p><p>二</p></div>".encode(),
        encoding="utf-8",
    )
    got = extract_thread(thread, source, entry=page.entries[0])
    assert (got.title, got.content, got.failure) == ("标题", "一\n二", None)


LISTED = "<ul><li><a href='/t/7'>七</a><span class=up>点赞 1.2万</span><span class=down>反对(3)</span></li></ul>"


def test_votes_from_list_thread_and_json() -> None:
    source = _source(
        list={"item": "li", "url": "a::attr(href)", "up_votes": "span.up::text", "down_votes": "span.down::text"},
        thread={"content": "div#c::text", "up_votes": "b.zan::text"},
    )
    listing = HtmlResponse(
        url="http://board.cn/list",
        body=LISTED.encode(),
        encoding="utf-8",
    )
    [entry] = extract_list(listing, source).entries
    assert (entry.up_votes, entry.down_votes) == (12000, 3)
    thread = HtmlResponse(
        url="http://board.cn/t/7", body="<div id=c>正文</div><b class=zan>12,345</b>".encode(), encoding="utf-8"
    )
    got = extract_thread(thread, source, entry=entry)
    assert (got.up_votes, got.down_votes) == (12345, 3)  # the thread's own count, the list's where it has none
    api = Source.model_validate(
        {
            "id": "j",
            "name": "j",
            "kind": "json",
            "start_urls": ["http://api.cn/x"],
            "json": {"items": "", "id": "id", "url_template": "http://api.cn/p/{id}", "up_votes": "v.up"},
        }
    )
    [item] = extract_json('[{"id": 1, "v": {"up": 88}}]', "http://api.cn/x", api).entries
    assert (item.up_votes, item.down_votes) == (88, None)


def test_markup_in_a_json_title_is_text_without_scripts() -> None:
    source = Source.model_validate(
        {
            "id": "j",
            "name": "j",
            "kind": "json",
            "start_urls": ["http://api.cn/x"],
            "json": {"items": "", "id": "id", "url_template": "http://api.cn/p/{id}", "title": "t"},
        }
    )
    page = extract_json('[{"id": 1, "t": "小区<em>噪音</em><script>steal()</script>"}]', "http://api.cn/x", source)
    assert page.entries[0].title == "小区噪音"


SELECTORS = [
    # (selector, the first text it gives) on a list item whose nickname follows an emoji image
    ("span.who::text", "小明"),  # the blank text node before the image is skipped
    ("span.who", "小明"),
    ("xpath:.//span[@class='who']/text()[normalize-space()]", "小明"),
    ("xpath:normalize-space(.//span[@class='who'])", "小明"),
    ("xpath:string(.//span[@class='re'])", "回复 12"),
    ("a::attr(href)", "/t/1"),
    ("xpath:.//a/@href", "/t/1"),
    ("span.missing", None),
]


@pytest.mark.parametrize(("selector", "expected"), SELECTORS)
def test_what_a_selector_gives(selector: str, expected: str | None) -> None:
    item = HtmlResponse(
        url="http://board.cn/list",
        body=(
            "<li><a href='/t/1'>标题</a><span class='who'>  <img src='e.png'>小明</span>"
            "<span class='re'>回复 12</span></li>"
        ).encode(),
        encoding="utf-8",
    ).css("li")[0]
    assert first_text(item, selector) == expected


def test_json_answer_that_is_not_what_the_source_says() -> None:
    source = Source.model_validate(
        {
            "id": "j",
            "name": "j",
            "kind": "json",
            "start_urls": ["http://api.cn/x"],
            "json": {"items": "data.rows", "id": "id", "url_template": "http://api.cn/p/{id}"},
        }
    )
    assert extract_json("not json", "http://api.cn/x", source).failures[0][1].startswith("not JSON")
    wrong = extract_json('{"data": {"rows": {"id": 1}}}', "http://api.cn/x", source)
    assert "不是列表" in wrong.failures[0][1]


# --- real Tieba list pages (../shared/data/html_tieba_list_pages_pdsu, DEV files) ------------------------

TIEBA = Path(__file__).resolve().parents[3] / "shared" / "data" / "html_tieba_list_pages_pdsu"
TIEBA_SOURCE = {
    "id": "tieba-pdsu",
    "name": "平顶山学院吧",
    "start_urls": ["https://tieba.baidu.com/f?kw=平顶山学院&pn=0"],
    "post_id_pattern": r"/p/(\d+)",
    "list": {
        # Pinned threads (li.tl_top) and the rest (li.tl_shadow); ads sit in the list too, with a javascript:
        # link and no thread id, so only items with a thread id.
        "item": "xpath://ul[@id='frslistcontent']/li[.//a[@tid]]",
        "url": "a.ti_item::attr(href)",
        "title": "xpath:.//div[@class='ti_title']/span[last()]/text()",
        "author": ".ti_author",
        "published_at": ".ti_time::text",
        "reply_count": ".btn_icon",
        "page_url": "https://tieba.baidu.com/f?kw=平顶山学院&pn={page}",
        "first_page": 0,
        "page_step": 50,
    },
    "thread": {"title": "h1::text", "content": ".content"},
}


@pytest.mark.skipif(not TIEBA.is_dir(), reason="../shared/data is not beside this checkout")
@pytest.mark.parametrize("name", ["tieba.html", "tieba-1.html", "tieba-3.html", "tieba-4.html"])
def test_real_tieba_list_pages(name: str) -> None:
    source = Source.model_validate(TIEBA_SOURCE)
    page = read_file(source, TIEBA / name)
    found = extract_list(page.response, source)
    assert found.failures == [] and len(found.entries) == 50
    assert all(e.post_id.isdigit() and e.url.startswith("https://tieba.baidu.com/p/") for e in found.entries)
    # Page 1 starts with two pinned threads, which show no author or time; a few posts are pictures only.
    assert sum(bool(e.title) for e in found.entries) >= 48
    assert sum(bool(e.author and e.time_text) for e in found.entries) >= 48
    assert sum(e.reply_count is not None for e in found.entries) >= 40
    assert page_url(source, 3) == "https://tieba.baidu.com/f?kw=平顶山学院&pn=100"
    shown = report(source, page)
    assert "：50 个，其中可用 50 个" in shown and "问题：无" in shown and "另有 40 个" in shown
    assert re.search(r"字段覆盖：标题 (48|49|50)/50", shown) and "robots.txt：未检查" in shown  # some are pictures
    assert "另有" not in report(source, page, show=None)


XINFANG_THREAD = """
<h1>小区夜间施工噪音扰民</h1>
<div class='meta'><time datetime='2026-03-05T21:40:00+08:00'>昨天</time></div>
<div id='c'><p>凌晨还在施工，请有关部门管一管。</p></div>
<div class='reply'><p>网友甲：同感</p></div>
<div class='reply official'>
  <span class='who'>回复单位：城关镇人民政府</span><span class='when'>2026年3月6日 下午2:05</span>
  <p>已转城管部门核查，夜间施工已叫停。</p>
</div>
"""


def _xinfang(**thread: Any) -> Source:
    return _source(
        thread={
            "title": "h1::text",
            "content": "xpath://div[@id='c']//p",
            "published_at": "div.meta time",
            "replies": "div.reply",  # matches the official block too, as on the board where it was seen
            "official_reply": {"content": "div.official p", "unit": "div.official .who", "published_at": ".when"},
            **thread,
        }
    )


@pytest.mark.parametrize(
    ("thread_count", "list_count", "expected", "from_"),
    [
        ("<span class='n'>回复 7</span>", 13, 7, "thread"),  # the thread page's own number wins
        ("", 13, 13, "list"),  # then the list's 跟帖 number, not the two blocks thread.replies matches
        ("", None, 2, "counted"),  # counting comes last
    ],
)
def test_which_reply_count_wins(thread_count: str, list_count: int | None, expected: int, from_: str) -> None:
    source = _xinfang(reply_count="span.n")
    page = HtmlResponse(url="http://board.cn/t/9", body=(XINFANG_THREAD + thread_count).encode(), encoding="utf-8")
    entry = ListEntry(post_id="9", url="http://board.cn/t/9", reply_count=list_count)
    got = extract_thread(page, source, entry=entry)
    assert (got.reply_count, got.reply_count_from) == (expected, from_)


def test_the_official_reply_and_a_time_element_are_read() -> None:
    page = HtmlResponse(url="http://board.cn/t/9", body=XINFANG_THREAD.encode(), encoding="utf-8")
    got = extract_thread(page, _xinfang(), entry=None)
    assert got.published_at == datetime(2026, 3, 5, 13, 40, tzinfo=UTC)  # the datetime attribute, not 昨天
    assert got.official_reply == OfficialReply(
        "已转城管部门核查，夜间施工已叫停。", "城关镇人民政府", datetime(2026, 3, 6, 6, 5, tzinfo=UTC)
    )
    assert "城管" not in got.content  # the answer is not the complaint's text
    shown = report(_xinfang(), Page(page, decode_page(page.body)), as_thread=True)
    assert "官方回复" in shown and "城关镇人民政府 · 2026-03-06 14:05" in shown
    assert "按 thread.replies「div.reply」数出本页 2 条" in shown
