"""What a source's selectors take from a page: used by the spider and by the selector workbench alike, so
what an operator sees in `yuqing source try` is exactly what a crawl stores."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from scrapy.http import TextResponse

from config import Source
from crawlers.timeparse import parse_post_time

_NUMBER = re.compile(r"\d+")
# Text of an element without its scripts and styles, which boards often inline inside posts.
_TEXT_XPATH = ".//text()[normalize-space() and not(ancestor::script) and not(ancestor::style)]"


@dataclass(frozen=True)
class ListEntry:
    post_id: str
    url: str
    title: str | None
    time_text: str | None


@dataclass(frozen=True)
class ListPage:
    items_matched: int
    entries: list[ListEntry]
    next_url: str | None
    failures: list[tuple[str, str]] = field(default_factory=list)  # (url, reason)


@dataclass(frozen=True)
class ThreadPage:
    title: str | None
    content: str
    time_text: str | None
    published_at: datetime | None
    author: str | None
    reply_count: int | None
    view_count: int | None
    warnings: list[str]
    failure: str | None  # the page gave nothing usable


def extract_list(response: TextResponse, source: Source) -> ListPage:
    selectors = source.list
    pattern = re.compile(source.post_id_pattern)
    entries: list[ListEntry] = []
    failures: list[tuple[str, str]] = []
    items = response.css(selectors.item)
    if not items:
        failures.append((response.url, f"list selector {selectors.item!r} matched nothing"))
    for item in items:
        href = item.css(selectors.url).get()
        if not href:
            failures.append((response.url, f"list item without a link ({selectors.url!r})"))
            continue
        url = response.urljoin(href.strip())
        match = pattern.search(url)
        if match is None:
            failures.append((url, "thread URL does not match post_id_pattern"))
            continue
        entries.append(
            ListEntry(match.group(1), url, first_text(item, selectors.title), first_text(item, selectors.published_at))
        )
    next_href = response.css(selectors.next_page).get() if selectors.next_page else None
    next_url = response.urljoin(next_href.strip()) if next_href else None
    return ListPage(len(items), entries, next_url, failures)


def extract_thread(
    response: TextResponse, source: Source, *, list_title: str | None = None, list_time: str | None = None
) -> ThreadPage:
    selectors = source.thread
    warnings: list[str] = []
    title = first_text(response, selectors.title) or list_title
    content = all_text(response, selectors.content)
    time_text = first_text(response, selectors.published_at) or list_time
    published_at = parse_post_time(time_text, tz=source.timezone)
    failure = None
    if not title and not content:
        failure = "thread page has neither title nor content"
    if not title:
        warnings.append("no title")
    if not content:
        warnings.append(f"no content: selector {selectors.content!r} matched nothing")
    if time_text and published_at is None:
        warnings.append(f"unreadable time {time_text!r}")
    return ThreadPage(
        title=title,
        content=content,
        time_text=time_text,
        published_at=published_at,
        author=first_text(response, selectors.author),
        reply_count=count(first_text(response, selectors.reply_count)),
        view_count=count(first_text(response, selectors.view_count)),
        warnings=warnings,
        failure=failure,
    )


def first_text(node: Any, selector: str | None) -> str | None:
    if not selector:
        return None
    if "::" in selector:
        value = node.css(selector).get()
        return value.strip() or None if value else None
    texts = [t.strip() for el in node.css(selector)[:1] for t in el.xpath(_TEXT_XPATH).getall()]
    return " ".join(t for t in texts if t) or None


def all_text(node: Any, selector: str) -> str:
    if "::" in selector:
        return "\n".join(t.strip() for t in node.css(selector).getall() if t.strip())
    return "\n".join(t.strip() for el in node.css(selector) for t in el.xpath(_TEXT_XPATH).getall() if t.strip())


def count(text: str | None) -> int | None:
    if not text:
        return None
    match = _NUMBER.search(text.replace(",", ""))
    return int(match.group()) if match else None
