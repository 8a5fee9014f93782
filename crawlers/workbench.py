"""The selector workbench: show exactly what each of a source's selectors takes from one page, so an
operator can write a new source in minutes. Fetches politely (robots.txt, the crawler's User-Agent, the
same private-address rule) or reads a saved page."""

from __future__ import annotations

import contextlib
import re
from pathlib import Path
from urllib.error import URLError
from urllib.parse import urlsplit
from urllib.request import Request, urlopen
from urllib.robotparser import RobotFileParser

from scrapy.http import HtmlResponse

from config import Source
from crawlers import settings as crawl_settings
from crawlers.extract import extract_list, extract_thread
from crawlers.middlewares import is_private_host

MAX_BYTES = crawl_settings.DOWNLOAD_MAXSIZE


class WorkbenchError(Exception):
    """Why a page could not be looked at; shown to the operator as it is."""


def fetch(source: Source, url: str, *, timeout: float = 20.0) -> HtmlResponse:
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


def read_file(source: Source, path: Path, *, url: str | None = None) -> HtmlResponse:
    """A saved page; `url` (default: the source's first start URL) resolves its relative links."""
    return _response(source, url or source.start_urls[0], path.read_bytes(), {})


def _response(source: Source, url: str, body: bytes, headers: dict[str, str]) -> HtmlResponse:
    # The same decoding as a crawl: the header, then <meta charset>, then a guess; or the source's override.
    response = HtmlResponse(url=url, body=body, headers=headers)
    return response.replace(encoding=source.encoding) if source.encoding else response


def looks_like_thread(source: Source, url: str) -> bool:
    return re.search(source.post_id_pattern, url) is not None


def report(source: Source, response: HtmlResponse, *, as_thread: bool | None = None) -> str:
    thread = looks_like_thread(source, response.url) if as_thread is None else as_thread
    lines = [
        f"来源 {source.id}（{source.name}）· {'帖子页' if thread else '列表页'} {response.url}",
        f"  编码：{response.encoding}",
    ]
    if thread:
        page = extract_thread(response, source)
        s = source.thread
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
        found = extract_list(response, source)
        s_list = source.list
        lines.append(f"  列表项（{s_list.item}）：{found.items_matched} 个，其中可用 {len(found.entries)} 个")
        for n, entry in enumerate(found.entries[:10], 1):
            lines.append(f"  [{n}] 帖子 {entry.post_id}  {entry.title or '—'}  {entry.time_text or ''}  {entry.url}")
        if len(found.entries) > 10:
            lines.append(f"  ……另有 {len(found.entries) - 10} 个")
        lines.append(f"  下一页（{s_list.next_page or '未配置'}）：{found.next_url or '—'}")
        problems = [f"{url}: {reason}" for url, reason in found.failures]
    lines.append("  问题：" + ("无" if not problems else ""))
    lines += [f"    - {p}" for p in problems]
    return "\n".join(lines)


def _preview(text: str, size: int = 120) -> str:
    if not text:
        return "—（未取到正文）"
    flat = text.replace("\n", " / ")
    return (flat[:size] + "……" if len(flat) > size else flat) + f"（共 {len(text)} 字）"


def _num(value: int | None) -> str:
    return "—" if value is None else str(value)
