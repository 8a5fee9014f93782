"""crawlers.extract.texts reads an element's text nodes with lxml's compiled XPath: the same texts parsel's
`result.xpath(_TEXT_XPATH).getall()` gives (scripts and styles left out, blank nodes skipped), on hand-made
markup and on real board pages; and the crawl's log formatter drops only the per-page DEBUG messages."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from parsel import Selector
from scrapy.http import HtmlResponse, Request
from twisted.python.failure import Failure

from crawlers.extract import _TEXT_XPATH, texts
from crawlers.logformat import ChineseLogFormatter
from tests.conftest import SHARED_DATA

HAND_MADE = """<html><body>
<div class="post"> 城关一中 <b>食堂</b>饭菜差&amp;贵<script>var x = "脚本";</script><style>.a{}</style>
  <span>  </span>尾巴 &#x4e2d;<br/>第二行<p>段落<i>斜体</i>后</p><!-- 注释 --></div>
<div class="post"><script>只有脚本</script></div>
<div class="post">  </div>
<ul><li>一</li><li> 二 </li><li><a href="#">三</a>&nbsp;</li></ul>
<time datetime="2026-11-30T08:00:00+08:00">3小时前</time>
</body></html>"""


def parsel_texts(node: Selector, selector: str, joiner: str = " ") -> list[str]:
    # texts() as it was before lxml was called directly: the reference
    out: list[str] = []
    picked = node.xpath(selector[len("xpath:") :]) if selector.startswith("xpath:") else node.css(selector)
    for result in picked:
        root = result.root
        if isinstance(root, str | int | float):
            text = str(root).strip()
        else:
            text = joiner.join(t.strip() for t in result.xpath(_TEXT_XPATH).getall() if t.strip())
        if text:
            out.append(text)
    return out


SELECTORS = ["div.post", "li", "ul", "body", "time", "time::attr(datetime)", "xpath://div", "p", "b::text", "html"]


def pages() -> list[str]:
    found = [HAND_MADE]
    folder = SHARED_DATA / "html_tieba_list_pages_pdsu"
    if folder.exists():
        found += [p.read_text(encoding="utf-8", errors="replace") for p in sorted(folder.glob("*.html"))]
    return found


@pytest.mark.parametrize("joiner", [" ", "\n"])
def test_texts_are_parsels(joiner: str) -> None:
    for page in pages():
        response = HtmlResponse("https://bbs.example.cn/", body=page.encode("utf-8"), encoding="utf-8")
        for selector in [*SELECTORS, "a", "div", "span", "xpath://li/a/text()"]:
            assert texts(response, selector, joiner=joiner) == parsel_texts(response.selector, selector, joiner)
        for row in response.css("li, div, p")[:60]:  # a row of a list page as the node
            for selector in ["a", "span", "::text", "xpath:./text()", "xpath:count(.//a)", "xpath:boolean(.//a)", "*"]:
                assert texts(row, selector, joiner=joiner) == parsel_texts(row, selector, joiner)
    hand = HtmlResponse("https://bbs.example.cn/", body=HAND_MADE.encode("utf-8"), encoding="utf-8")
    with pytest.raises(ValueError):
        texts(hand, "xpath://[")  # lxml refuses it: parsel's own error, as before
    assert texts(hand, "div.post")[0] == "城关一中 食堂 饭菜差&贵 尾巴 中 第二行 段落 斜体 后"


def test_the_log_formatter_drops_only_per_page_debug_messages() -> None:
    request = Request("https://bbs.example.cn/t/1")
    response = HtmlResponse(request.url, body=b"<html></html>", request=request)
    quiet, chatty = ChineseLogFormatter(logging.INFO), ChineseLogFormatter(logging.DEBUG)
    spider: Any = None
    assert quiet.crawled(request, response, spider) is None
    assert quiet.scraped({"id": "1"}, response, spider) is None
    said = chatty.crawled(request, response, spider)
    assert said is not None and said["level"] == logging.DEBUG and "已下载" in said["msg"]
    assert chatty.scraped({"id": "1"}, response, spider) is not None
    error = quiet.spider_error(Failure(ValueError("x")), request, response, spider)
    assert error["level"] == logging.ERROR
