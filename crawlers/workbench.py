"""The selector workbench: show exactly what each of a source's selectors takes from one page, so an
operator can write a new source in minutes. Fetches politely (robots.txt, the crawler's User-Agent, the
same private-address rule) or reads a saved page."""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.error import URLError
from urllib.parse import urlsplit
from urllib.request import Request, urlopen
from urllib.robotparser import RobotFileParser

from scrapy.http import HtmlResponse

from config import Source
from crawlers import settings as crawl_settings
from crawlers.encoding import Decoded, decode_page
from crawlers.extract import ListEntry, ListPage, extract_feed, extract_json, extract_list, extract_thread, page_url
from crawlers.middlewares import is_private_host

MAX_BYTES = crawl_settings.DOWNLOAD_MAXSIZE


class WorkbenchError(Exception):
    """Why a page could not be looked at; shown to the operator as it is."""


def fetch(source: Source, url: str, *, timeout: float = 20.0) -> Page:
    host = urlsplit(url).hostname or ""
    if not source.allow_private_addresses and is_private_host(host):
        raise WorkbenchError(f"{url}: private or loopback address (set allow_private_addresses for a local board)")
    agent = crawl_settings.USER_AGENT
    if source.obey_robots:
        robots = RobotFileParser(f"{urlsplit(url).scheme}://{urlsplit(url).netloc}/robots.txt")
        with contextlib.suppress(URLError, OSError):  # no robots.txt reachable: allowed, as Scrapy treats it
            robots.read()
        if not robots.can_fetch(agent, url):
            raise WorkbenchError(f"{url}: disallowed by robots.txt")
    try:
        with urlopen(Request(url, headers={"User-Agent": agent}), timeout=timeout) as answer:
            body = answer.read(MAX_BYTES + 1)
            headers = {"Content-Type": answer.headers.get("Content-Type", "text/html")}
            final_url = answer.geturl()
    except (URLError, OSError) as exc:
        raise WorkbenchError(f"{url}: {exc}") from None
    if len(body) > MAX_BYTES:
        raise WorkbenchError(f"{url}: larger than {MAX_BYTES} bytes")
    return _response(source, final_url, body, headers)


def read_file(source: Source, path: Path, *, url: str | None = None) -> Page:
    """A saved page; `url` (default: the source's first start URL) resolves its relative links."""
    return _response(source, url or source.start_urls[0], path.read_bytes(), {})


@dataclass(frozen=True)
class Page:
    response: HtmlResponse
    decoded: Decoded


def _response(source: Source, url: str, body: bytes, headers: dict[str, str]) -> Page:
    # The same decoding as a crawl (crawlers.encoding): override, BOM, header, <meta> if true, else a guess.
    decoded = decode_page(body, content_type=headers.get("Content-Type"), override=source.encoding)
    response = HtmlResponse(url=url, body=decoded.text.encode("utf-8"), headers=headers, encoding="utf-8")
    return Page(response, decoded)


def looks_like_thread(source: Source, url: str) -> bool:
    return source.post_id_pattern is not None and re.search(source.post_id_pattern, url) is not None


def _encoding_line(decoded: Decoded) -> str:
    line = f"  编码：{decoded.encoding}（{_HOW.get(decoded.how, decoded.how)}）"
    return line + (f"  注意：{decoded.note}" if decoded.note else "")


_HOW = {"override": "配置指定", "bom": "BOM", "header": "HTTP 头", "meta": "页面 meta", "sniffed": "按内容判断"}


def report(source: Source, fetched: Page, *, as_thread: bool | None = None) -> str:
    response = fetched.response
    if as_thread is None:
        thread = source.kind == "html" and looks_like_thread(source, response.url)
    else:
        thread = as_thread and source.thread is not None
    lines = [
        f"来源 {source.id}（{source.name}）· {'帖子页' if thread else '列表页'} {response.url}",
        _encoding_line(fetched.decoded),
    ]
    if thread:
        page = extract_thread(response, source)
        s = source.thread
        assert s is not None
        lines += [
            f"  标题（{s.title}）：{page.title or '—'}",
            f"  正文（{s.content}）：{_preview(page.content)}",
            f"  时间（{s.published_at or '未配置'}）：{page.time_text or '—'} → "
            f"{page.published_at.isoformat() if page.published_at else '无法解析'}",
            f"  作者（{s.author or '未配置'}）：{page.author or '—'}",
            f"  回复数（{s.reply_count or '未配置'}）：{_num(page.reply_count)}"
            f"  浏览数（{s.view_count or '未配置'}）：{_num(page.view_count)}",
        ]
        problems = ([page.failure] if page.failure else []) + page.warnings
    else:
        found = _read_list(source, response)
        item_selector = (
            source.list.item if source.list else {"json": "json.items", "rss": "item", "atom": "entry"}[source.kind]
        )
        lines.append(f"  列表项（{item_selector}）：{found.items_matched} 个，其中可用 {len(found.entries)} 个")
        for n, entry in enumerate(found.entries[:10], 1):
            lines.append(f"  [{n}] 帖子 {entry.post_id}  {entry.title or '—'}  {entry.time_text or ''}  {entry.url}")
            extras = _entry_extras(entry)
            if extras:
                lines.append(f"      {extras}")
        if len(found.entries) > 10:
            lines.append(f"  ……另有 {len(found.entries) - 10} 个")
        if source.list is not None:
            lines.append(f"  下一页（{source.list.next_page or '未配置'}）：{found.next_url or '—'}")
        template = page_url(source, 2)
        if template:
            lines.append(f"  第 2 页（按页码模板）：{template}")
        problems = [f"{url}: {reason}" for url, reason in found.failures]
    lines.append("  问题：" + ("无" if not problems else ""))
    lines += [f"    - {p}" for p in problems]
    return "\n".join(lines)


def _read_list(source: Source, response: HtmlResponse) -> ListPage:
    if source.kind == "json":
        return extract_json(response.text, response.url, source)
    if source.kind in ("rss", "atom"):
        return extract_feed(response.text, response.url, source)
    return extract_list(response, source)


def _entry_extras(entry: ListEntry) -> str:
    parts = []
    if entry.author:
        parts.append(f"作者 {entry.author}")
    if entry.reply_count is not None:
        parts.append(f"回复 {entry.reply_count}")
    if entry.view_count is not None:
        parts.append(f"浏览 {entry.view_count}")
    if entry.status:
        parts.append(f"状态 {entry.status}")
    if entry.published_at is not None:
        parts.append(f"时间 {entry.published_at.isoformat()}")
    if entry.content:
        parts.append(f"正文 {_preview(entry.content, 60)}")
    return "  ".join(parts)


def _preview(text: str, size: int = 120) -> str:
    if not text:
        return "—（未取到正文）"
    flat = text.replace("\n", " / ")
    return (flat[:size] + "……" if len(flat) > size else flat) + f"（共 {len(text)} 字）"


def _num(value: int | None) -> str:
    return "—" if value is None else str(value)
