"""What a source's selectors take from a page: used by the spiders and by the selector workbench alike, so
what an operator sees in `yuqing source try` is exactly what a crawl stores.

Three shapes of page: an HTML list (one element per post), an RSS/Atom feed, a JSON API answer. Each gives a
ListPage of entries; an HTML thread page gives a ThreadPage. Nothing here raises on a bad page: what did parse
is kept, what did not is a warning or a counted failure with its reason.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from lxml import etree  # type: ignore[import-untyped]  # no stubs shipped; parsel uses it untyped too
from parsel import Selector
from parsel.csstranslator import css2xpath
from scrapy.http import TextResponse

from config.sources import XPATH_PREFIX, JsonFields, OfficialReplySelectors, Source
from crawlers.timeparse import parse_post_time
from store.mentions.model import OfficialReply

_NUMBER = re.compile(r"\d+(?:\.\d+)?\s*[万wW]?")
# Text of an element without its scripts and styles, which boards often inline inside posts.
_TEXT_XPATH = ".//text()[normalize-space() and not(ancestor::script) and not(ancestor::style)]"
_TEXT_NODES = etree.XPath(_TEXT_XPATH, smart_strings=False)
_TIME_ATTRIBUTE = etree.XPath("self::time/@datetime | .//time/@datetime", smart_strings=False)


@dataclass(frozen=True)
class ListEntry:
    post_id: str
    url: str
    title: str | None = None
    time_text: str | None = None
    author: str | None = None
    reply_count: int | None = None
    view_count: int | None = None
    status: str | None = None
    content: str | None = None  # feeds and APIs often carry the text itself
    up_votes: int | None = None
    down_votes: int | None = None
    published_at: datetime | None = None  # when the list gave a machine-readable time


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
    status: str | None
    warnings: list[str]
    failure: str | None  # the page gave nothing usable
    deleted: bool = False  # the board says the post was removed
    up_votes: int | None = None
    down_votes: int | None = None
    reply_count_from: str | None = None  # which field gave reply_count: thread / list / counted
    official_reply: OfficialReply | None = None


# --- HTML ---------------------------------------------------------------------------------------------------


def extract_list(response: TextResponse, source: Source) -> ListPage:
    selectors = source.list
    assert selectors is not None and source.post_id_pattern is not None
    pattern = re.compile(source.post_id_pattern)
    entries: list[ListEntry] = []
    failures: list[tuple[str, str]] = []
    items = select(response, selectors.item)
    if not items:
        failures.append((response.url, f"列表项选择器 {selectors.item!r} 在此页一个也没选中"))
    for item in items:
        href = first_text(item, selectors.url)
        if not href:
            failures.append((response.url, f"列表项中没有链接（{selectors.url!r}）"))
            continue
        url = canonical_url(response.urljoin(href.strip()))
        match = pattern.search(url)
        if match is None:
            failures.append((url, "帖子链接与 post_id_pattern 不符，取不到帖子编号"))
            continue
        entries.append(
            ListEntry(
                post_id=match.group(1),
                url=url,
                title=first_text(item, selectors.title),
                time_text=time_text_of(item, selectors.published_at),
                author=first_text(item, selectors.author),
                reply_count=count(first_text(item, selectors.reply_count)),
                view_count=count(first_text(item, selectors.view_count)),
                status=first_text(item, selectors.status),
                up_votes=count(first_text(item, selectors.up_votes)),
                down_votes=count(first_text(item, selectors.down_votes)),
            )
        )
    next_href = first_text(response, selectors.next_page) if selectors.next_page else None
    next_url = response.urljoin(next_href.strip()) if next_href else None
    return ListPage(len(items), _unique(entries), next_url, failures)


def page_url(source: Source, page: int) -> str | None:
    """The URL of list page `page` (1 = the start URL) from the source's page-number template, if it has one."""
    paging = source.list or source.json_fields
    if paging is None or paging.page_url is None:
        return None
    return paging.page_url.replace("{page}", str(paging.first_page + (page - 1) * paging.page_step))


def max_pages(source: Source) -> int:
    paging = source.list or source.json_fields
    return paging.max_pages if paging is not None else 1


_TRACKING = re.compile(r"^(utm_\w+|spm|from|share_from|timestamp|_t)$")


def canonical_url(url: str) -> str:
    """One URL per post: no fragment, no tracking parameters (the same thread shared from WeChat or a list)."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _TRACKING.match(k)]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))


def extract_thread(
    response: TextResponse, source: Source, *, entry: ListEntry | None = None, text: str | None = None
) -> ThreadPage:
    """`entry` is what the list said of this post: its fields fill what the thread page lacks."""
    selectors = source.thread
    assert selectors is not None
    warnings: list[str] = []
    page_text = text if text is not None else response.text
    deleted = any(marker in page_text for marker in selectors.deleted_markers)
    title = first_text(response, selectors.title) or (entry.title if entry else None)
    content = all_text(response, selectors.content) or ((entry.content or "") if entry else "")
    time_text = time_text_of(response, selectors.published_at) or (entry.time_text if entry else None)
    published_at = parse_post_time(time_text, tz=source.timezone) or (entry.published_at if entry else None)
    # Which count wins: the thread page's own number, else the list's 跟帖 number, else the replies counted on
    # this page. Counting comes last: it sees one page of replies, and on some boards the selector also matches
    # the official reply block, which is no 跟帖 at all.
    replies, replies_from = count(first_text(response, selectors.reply_count)), "thread"
    if replies is None and entry is not None and entry.reply_count is not None:
        replies, replies_from = entry.reply_count, "list"
    if replies is None and selectors.replies:
        replies, replies_from = len(select(response, selectors.replies)), "counted"
    failure = None
    if not title and not content:
        failure = "帖子已被网站删除" if deleted else "帖子页既没有标题也没有正文"
    if not title:
        warnings.append("no title")
    if not content and not deleted:
        warnings.append(f"没有正文：选择器 {selectors.content!r} 一个也没选中")
    if time_text and published_at is None:
        warnings.append(f"无法识别的时间 {time_text!r}")
    return ThreadPage(
        title=title,
        content=content,
        time_text=time_text,
        published_at=published_at,
        author=first_text(response, selectors.author) or (entry.author if entry else None),
        reply_count=replies,
        view_count=count(first_text(response, selectors.view_count)) or (entry.view_count if entry else None),
        status=first_text(response, selectors.status) or (entry.status if entry else None),
        warnings=warnings,
        failure=failure,
        deleted=deleted,
        up_votes=_count_or(response, selectors.up_votes, entry.up_votes if entry else None),
        down_votes=_count_or(response, selectors.down_votes, entry.down_votes if entry else None),
        reply_count_from=replies_from if replies is not None else None,
        official_reply=official_reply(response, selectors.official_reply, source.timezone),
    )


def _count_or(response: TextResponse, selector: str | None, fallback: int | None) -> int | None:
    found = count(first_text(response, selector)) if selector else None
    return found if found is not None else fallback


def official_reply(response: Any, selectors: OfficialReplySelectors | None, tz: str) -> OfficialReply | None:
    if selectors is None:
        return None
    text = all_text(response, selectors.content)
    if not text:
        return None
    unit = first_text(response, selectors.unit)
    if unit:  # 回复单位：县教育局 → 县教育局
        unit = re.sub(r"^\s*(回复|答复|办理)?单位\s*[:：]\s*", "", unit).strip() or None
    when = time_text_of(response, selectors.published_at)
    return OfficialReply(text=text, unit=unit, replied_at=parse_post_time(when, tz=tz))


def select(node: Any, selector: str) -> Any:
    if selector.startswith(XPATH_PREFIX):
        return node.xpath(selector[len(XPATH_PREFIX) :])
    return node.css(selector)


def texts(node: Any, selector: str, *, joiner: str = " ") -> list[str]:
    """The non-blank texts a selector yields, in order. What a selector returns decides, not how it is spelt:
    a text or attribute (`::text`, `::attr(x)`, XPath `text()`, `@x`, `normalize-space(…)`) is taken as it is;
    an element gives all its text, its scripts and styles left out."""
    return _texts_of(_roots(node, selector), joiner)


def _texts_of(found: list[Any], joiner: str = " ") -> list[str]:
    out: list[str] = []
    for root in found:
        if isinstance(root, str | int | float):
            text = str(root).strip()
        else:
            # lxml's compiled XPath on the element: the same text nodes as parsel's
            # result.xpath(_TEXT_XPATH).getall(), without a Selector built per text node
            text = joiner.join(t.strip() for t in _TEXT_NODES(root) if t.strip())
        if text:
            out.append(text)
    return out


def _first(found: list[str]) -> str | None:
    return found[0] if found else None


def _roots(node: Any, selector: str) -> list[Any]:
    """What select(node, selector) picks, as lxml gives it (elements, strings, numbers): on an HTML page the
    selector's XPath (parsel's CSS translation) compiled once and run on the page's root, no parsel Selector a
    result; parsel itself for anything else (JSON, XML, a selector lxml refuses: parsel's error)."""
    page = getattr(node, "selector", node)  # a Response's selector, or a Selector
    root = getattr(page, "root", None)
    if getattr(page, "type", None) == "html" and isinstance(root, etree._Element):
        namespaces = page.namespaces
        # parsel's HTML selectors carry its one default namespace (EXSLT regular expressions) unless told more
        key = None if namespaces == _PARSEL_NAMESPACES else tuple(sorted(namespaces.items()))
        compiled = _compiled_selector(selector, key)
        if compiled is not None:
            found = compiled(root)
            return found if isinstance(found, list) else [found]
    return [result.root for result in select(node, selector)]


_PARSEL_NAMESPACES = dict(Selector._default_namespaces)


@functools.lru_cache(maxsize=1024)
def _compiled_selector(selector: str, namespaces: tuple[tuple[str, str], ...] | None) -> Any:
    query = selector[len(XPATH_PREFIX) :] if selector.startswith(XPATH_PREFIX) else css2xpath(selector)
    try:
        given = _PARSEL_NAMESPACES if namespaces is None else dict(namespaces)
        return etree.XPath(query, namespaces=given, smart_strings=False)
    except etree.XPathError:
        return None


def first_text(node: Any, selector: str | None) -> str | None:
    """The first non-blank text (a nickname after an emoji image: the blank text node before it is skipped)."""
    if not selector:
        return None
    found = texts(node, selector)
    return found[0] if found else None


def time_text_of(node: Any, selector: str | None) -> str | None:
    """A post's time: the machine-readable `datetime` attribute of a <time> element the selector picks (or
    holds) wins over its text, which is often "3小时前" or a date without the hour."""
    if not selector:
        return None
    found = _roots(node, selector)
    if found:
        first = found[0]
        if isinstance(first, etree._Element):
            machine = next(iter(_TIME_ATTRIBUTE(first)), None)
            if machine and machine.strip():
                return str(machine).strip()
        elif not isinstance(first, str | int | float):  # a JSON value (parsel's jmespath): as parsel reads it
            result = select(node, selector)[0]
            machine = result.xpath("self::time/@datetime | .//time/@datetime").get()
            if machine and machine.strip():
                return str(machine.strip())
    return _first(_texts_of(found))


def all_text(node: Any, selector: str) -> str:
    """Every text, paragraphs on their own lines: the content of a post."""
    return "\n".join(texts(node, selector, joiner="\n"))


def count(text: str | int | float | None) -> int | None:
    """Reply and view counts as boards print them: 1,234 / 1.2万 / 3w / 阅读(56)."""
    if text is None or text == "":
        return None
    if isinstance(text, bool):
        return None
    if isinstance(text, int | float):
        return int(text)
    match = _NUMBER.search(text.replace(",", ""))
    if not match:
        return None
    number = match.group()
    if number[-1] in "万wW":
        return int(float(number[:-1].strip()) * 10_000)
    return int(float(number))


def _unique(entries: list[ListEntry]) -> list[ListEntry]:
    """A post listed twice on one page (pinned and in place) is one entry."""
    seen: dict[str, ListEntry] = {}
    for entry in entries:
        seen.setdefault(entry.post_id, entry)
    return list(seen.values())


# --- RSS / Atom ---------------------------------------------------------------------------------------------


def extract_feed(text: str, url: str, source: Source) -> ListPage:
    """RSS 2.0 items or Atom entries; the post id is the guid/id, else the link."""
    try:
        root = Selector(text=text, type="xml")
    except ValueError as exc:
        return ListPage(0, [], None, [(url, f"not an XML feed: {exc}")])
    root.remove_namespaces()
    items = root.xpath("//item | //entry")
    entries: list[ListEntry] = []
    failures: list[tuple[str, str]] = []
    if not items and not root.xpath("/rss | /feed | /RDF"):
        failures.append((url, "不是 RSS 或 Atom 订阅（没有 <rss> 或 <feed>）"))
    for item in items:
        link = item.xpath("link/@href").get() or item.xpath("link/text()").get() or ""
        link = canonical_url(urljoin(url, link.strip())) if link.strip() else ""
        guid = (item.xpath("guid/text()").get() or item.xpath("id/text()").get() or link).strip()
        if not guid:
            failures.append((url, "订阅条目没有 guid、id 或 link"))
            continue
        title = _clean(item.xpath("title/text()").get())
        body = item.xpath("encoded/text()").get() or item.xpath("content/text()").get()
        body = body or item.xpath("description/text()").get() or item.xpath("summary/text()").get()
        when = (item.xpath("pubDate/text() | published/text() | updated/text() | date/text()").get() or "").strip()
        author = _clean(item.xpath("author/name/text()").get() or item.xpath("author/text() | creator/text()").get())
        entries.append(
            ListEntry(
                post_id=_post_id(source, guid, link),
                url=link or guid,
                title=title,
                time_text=when or None,
                author=author,
                content=html_to_text(body) if body else None,
                published_at=_feed_time(when, source.timezone),
            )
        )
    return ListPage(len(items), _unique(entries), None, failures)


def _feed_time(text: str, tz: str) -> datetime | None:
    if not text:
        return None
    try:  # RFC 822 (RSS)
        parsed = parsedate_to_datetime(text)
        if parsed.tzinfo is not None:
            return parsed.astimezone(UTC)
    except (TypeError, ValueError, IndexError):
        pass
    return _iso_or_board_time(text, tz)  # RFC 3339 (Atom), else as boards write times


def _iso_or_board_time(text: str, tz: str) -> datetime | None:
    """An ISO 8601 time with its offset, else a time as boards write it (in the source's time zone)."""
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        if parsed.tzinfo is not None:
            return parsed.astimezone(UTC)
    except ValueError:
        pass
    return parse_post_time(text, tz=tz)


def html_to_text(markup: str) -> str:
    """Text of an HTML fragment (a feed's description): scripts and styles dropped, paragraphs kept."""
    if "<" not in markup:
        return markup.strip()
    selector = Selector(text=f"<div>{markup}</div>")
    parts = selector.xpath("//text()[normalize-space() and not(ancestor::script) and not(ancestor::style)]").getall()
    return "\n".join(p.strip() for p in parts if p.strip())


def _clean(text: str | None) -> str | None:
    """A title that may carry markup (search highlights, or worse): its text, scripts dropped, on one line."""
    if not text:
        return None
    if "<" in text:
        text = "".join(html_to_text(text).split("\n"))  # inline markup: Chinese needs no space
    return text.strip() or None


def _post_id(source: Source, guid: str, link: str) -> str:
    if source.post_id_pattern:
        for candidate in (link, guid):
            match = re.search(source.post_id_pattern, candidate)
            if match:
                return match.group(1)
    return guid[:300]


# --- JSON API -----------------------------------------------------------------------------------------------


def extract_json(text: str, url: str, source: Source) -> ListPage:
    fields = source.json_fields
    assert fields is not None
    try:
        data = json.loads(text)
    except ValueError as exc:
        return ListPage(0, [], None, [(url, f"not JSON: {exc}")])
    items = dig(data, fields.items)
    if not isinstance(items, list):
        return ListPage(0, [], None, [(url, f"接口返回中 json.items {fields.items!r} 处不是列表")])
    entries: list[ListEntry] = []
    failures: list[tuple[str, str]] = []
    for n, item in enumerate(items):
        entry = _json_entry(item, fields, source, url)
        if isinstance(entry, str):
            failures.append((url, f"item {n}: {entry}"))
        else:
            entries.append(entry)
    return ListPage(len(items), _unique(entries), None, failures)


def _json_entry(item: Any, fields: JsonFields, source: Source, url: str) -> ListEntry | str:
    post_id = dig(item, fields.id)
    if post_id is None or post_id == "":
        return f"no id at {fields.id!r}"
    post_id = str(post_id)
    link = dig(item, fields.url) if fields.url else None
    if not link and fields.url_template:
        link = fields.url_template.replace("{id}", post_id)
    if not link:
        return f"no url at {fields.url!r}"
    raw_time = dig(item, fields.published_at) if fields.published_at else None
    content = _text_or_none(dig(item, fields.content)) if fields.content else None
    return ListEntry(
        post_id=post_id,
        url=canonical_url(urljoin(url, str(link))),
        title=_clean(_text_or_none(dig(item, fields.title))) if fields.title else None,
        time_text=None if raw_time is None else str(raw_time),
        author=_text_or_none(dig(item, fields.author)) if fields.author else None,
        reply_count=count(dig(item, fields.reply_count)) if fields.reply_count else None,
        view_count=count(dig(item, fields.view_count)) if fields.view_count else None,
        up_votes=count(dig(item, fields.up_votes)) if fields.up_votes else None,
        down_votes=count(dig(item, fields.down_votes)) if fields.down_votes else None,
        status=_text_or_none(dig(item, fields.status)) if fields.status else None,
        content=html_to_text(content) if content else None,
        published_at=_json_time(raw_time, source.timezone),
    )


def dig(data: Any, path: str | None) -> Any:
    """`a.b.0.c` into nested dicts and lists; None where the path leads nowhere."""
    if path is None:
        return None
    if path == "":
        return data
    for part in path.split("."):
        if isinstance(data, dict):
            data = data.get(part)
        elif isinstance(data, list) and part.lstrip("-").isdigit() and -len(data) <= int(part) < len(data):
            data = data[int(part)]
        else:
            return None
    return data


def _text_or_none(value: Any) -> str | None:
    if value is None or isinstance(value, dict | list):
        return None
    text = str(value).strip()
    return text or None


def _json_time(value: Any, tz: str) -> datetime | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float) or (isinstance(value, str) and value.strip().isdigit()):
        number = float(value)
        if number > 1e11:  # milliseconds
            number /= 1000
        try:
            return datetime.fromtimestamp(number, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    return _iso_or_board_time(str(value).strip(), tz)
