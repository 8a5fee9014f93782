"""The selector workbench: show exactly what each of a source's selectors takes from one page, so an
operator can write a new source in minutes. Fetches politely (robots.txt, the crawler's User-Agent, the
same private-address rule) or reads a saved page."""

from __future__ import annotations

import errno
import re
import socket
import ssl
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.error import HTTPError, URLError
from urllib.parse import urlsplit
from urllib.request import Request, urlopen
from urllib.robotparser import RobotFileParser
from zoneinfo import ZoneInfo

from scrapy.http import HtmlResponse

from config import Source
from config.sources import SOURCE_KINDS, ThreadSelectors
from crawlers import settings as crawl_settings
from crawlers.encoding import Decoded, decode_page
from crawlers.extract import (
    ListEntry,
    ListPage,
    ThreadPage,
    extract_thread,
    page_url,
)
from crawlers.middlewares import is_private_host
from crawlers.spiders.base import spider_for
from crawlers.timeparse import parse_post_time
from store.mentions.model import OfficialReply

BEIJING = ZoneInfo("Asia/Shanghai")

MAX_BYTES = crawl_settings.DOWNLOAD_MAXSIZE


class WorkbenchError(Exception):
    """Why a page could not be looked at; shown to the operator as it is."""


def fetch(source: Source, url: str, *, timeout: float = 20.0) -> Page:
    host = urlsplit(url).hostname or ""
    if not source.allow_private_addresses and is_private_host(host):
        local = "本地测试板块请在信源中设 allow_private_addresses: true"
        raise WorkbenchError(f"{url}：这是内网或本机地址，不予抓取（{local}）")
    agent = crawl_settings.USER_AGENT
    if source.obey_robots and not _robots(url, agent, timeout).can_fetch(agent, url):
        raise WorkbenchError(f"{url}：该网站的 robots.txt 不允许抓取此页")
    try:
        with urlopen(Request(url, headers={"User-Agent": agent}), timeout=timeout) as answer:
            body = answer.read(MAX_BYTES + 1)
            headers = {"Content-Type": answer.headers.get("Content-Type", "text/html")}
            final_url = answer.geturl()
    except HTTPError as exc:
        raise WorkbenchError(f"{url}：{_status(exc.code)}") from None
    except (URLError, OSError) as exc:
        raise WorkbenchError(f"{url}：{_down(exc)}") from None
    if len(body) > MAX_BYTES:
        raise WorkbenchError(f"{url}：页面超过 {MAX_BYTES // (1024 * 1024)} MB，不予读取")
    page = _response(source, final_url, body, headers)
    return Page(page.response, page.decoded, fetched=True)


def _robots(url: str, agent: str, timeout: float) -> RobotFileParser:
    """robots.txt read as Scrapy reads it — missing (4xx): everything allowed; 401/403: nothing — except that a
    site that does not answer at all is reported as down, not as forbidding us (the stdlib parser, never read,
    says "disallowed" for every URL)."""
    parts = urlsplit(url)
    robots_url = f"{parts.scheme}://{parts.netloc}/robots.txt"
    robots = RobotFileParser(robots_url)
    try:
        with urlopen(Request(robots_url, headers={"User-Agent": agent}), timeout=timeout) as answer:
            robots.parse(answer.read(MAX_BYTES).decode("utf-8", errors="replace").splitlines())
    except HTTPError as exc:
        if exc.code >= 500:
            why = f"网站暂时不可用（robots.txt 返回 HTTP {exc.code}），请稍后再试"
            raise WorkbenchError(f"{parts.netloc}：{why}") from None
        robots.parse(["User-agent: *", "Disallow: /"] if exc.code in (401, 403) else [])
    except (URLError, OSError) as exc:
        raise WorkbenchError(f"{parts.netloc}：{_down(exc)}（连 robots.txt 也取不到）") from None
    return robots


def _down(exc: BaseException) -> str:
    """Why a site did not answer, in words an operator acts on."""
    reason = exc.reason if isinstance(exc, URLError) else exc
    if isinstance(reason, TimeoutError) or "timed out" in str(reason):
        return "网站无响应（连接超时），板块可能已停止服务或网络不通"
    if isinstance(reason, ConnectionRefusedError):
        return "网站拒绝连接，板块可能已停止服务"
    if isinstance(reason, socket.gaierror):
        return "域名无法解析，请检查地址或 DNS"
    if isinstance(reason, ConnectionResetError):
        return "连接被网站重置，板块可能已停止服务或拒绝了本机"
    if isinstance(reason, ssl.SSLCertVerificationError):
        return "网站证书无法验证（过期、自签名或与域名不符）"
    if isinstance(reason, ssl.SSLError):
        return "加密连接（HTTPS）建立失败"
    if isinstance(reason, OSError) and reason.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH):
        return "网络不通（无法到达该主机）"
    code = f"，错误码 {reason.errno}" if isinstance(reason, OSError) and reason.errno else ""
    return f"网站无法访问{code}，板块可能已停止服务"


_STATUS = {
    400: "请求被拒绝",
    401: "需要登录",
    403: "禁止访问（可能屏蔽了抓取）",
    404: "页面不存在",
    410: "页面已删除",
    429: "请求过于频繁，被网站限流",
    500: "网站内部错误",
    502: "网站网关出错",
    503: "网站暂时不可用",
    504: "网站网关超时",
}


def _status(code: int) -> str:
    """An HTTP error as the operator reads it: the code (they may look it up) and what it means."""
    meaning = _STATUS.get(code) or ("网站出错" if code >= 500 else "请求未被接受")
    return f"网站返回 HTTP {code}（{meaning}）"


def read_file(source: Source, path: Path, *, url: str | None = None) -> Page:
    """A saved page; `url` (default: the source's first start URL) resolves its relative links."""
    return _response(source, url or source.start_urls[0], path.read_bytes(), {})


@dataclass(frozen=True)
class Page:
    response: HtmlResponse
    decoded: Decoded
    fetched: bool = False  # fetched now (robots.txt checked), or read from a saved file


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


def report(source: Source, fetched: Page, *, as_thread: bool | None = None, show: int | None = 10) -> str:
    """What every selector takes from the page. `show`: how many list items to print (None: all)."""
    response = fetched.response
    if as_thread is None:
        thread = source.kind == "html" and looks_like_thread(source, response.url)
    else:
        thread = as_thread and source.thread is not None
    lines = [
        f"来源 {source.id}（{source.name}）· {'帖子页' if thread else '列表页'} {response.url}",
        _encoding_line(fetched.decoded),
    ]
    if not fetched.fetched:
        lines.append("  robots.txt：未检查（读取的是保存的文件；抓取时会检查）")
    if thread:
        page = extract_thread(response, source)
        s = source.thread
        assert s is not None
        lines += [
            f"  标题（{s.title}）：{page.title or '—'}",
            f"  正文（{s.content}）：{_preview(page.content)}",
            f"  时间（{s.published_at or '未配置'}）：{_time(page.time_text, page.published_at)}",
            f"  作者（{s.author or '未配置'}）：{page.author or '—'}",
            f"  回复数（{s.reply_count or '未配置'}）：{_num(page.reply_count)}{_replies_from(s, page)}"
            f"  浏览数（{s.view_count or '未配置'}）：{_num(page.view_count)}",
        ]
        if s.official_reply is not None:
            lines.append(f"  官方回复（{s.official_reply.content}）：{_official(page.official_reply)}")
        if s.up_votes or s.down_votes:
            lines.append(
                f"  点赞数（{s.up_votes or '未配置'}）：{_num(page.up_votes)}"
                f"  反对数（{s.down_votes or '未配置'}）：{_num(page.down_votes)}"
            )
        problems = ([page.failure] if page.failure else []) + page.warnings
    else:
        found = _read_list(source, response)
        item_selector = source.list.item if source.list else SOURCE_KINDS[source.kind].list_item
        lines.append(f"  列表项（{item_selector}）：{found.items_matched} 个，其中可用 {len(found.entries)} 个")
        shown = found.entries if show is None else found.entries[:show]
        for n, entry in enumerate(shown, 1):
            lines.append(f"  [{n}] 帖子 {entry.post_id}  {entry.title or '—'}  {entry.url}")
            extras = _entry_extras(entry, source.timezone)
            if extras:
                lines.append(f"      {extras}")
        if len(found.entries) > len(shown):
            lines.append(f"  ……另有 {len(found.entries) - len(shown)} 个（--all 显示全部）")
        coverage, problems = _coverage(source, found.entries)
        if coverage:
            lines.append("  字段覆盖：" + " · ".join(coverage))
        if source.list is not None:
            lines.append(f"  下一页（{source.list.next_page or '未配置'}）：{found.next_url or '—'}")
        template = page_url(source, 2)
        if template:
            lines.append(f"  第 2 页（按页码模板）：{template}")
        problems = [f"{url}: {reason}" for url, reason in found.failures] + problems
        if source.kind == "html" and source.thread is not None:
            lines.append("  帖子页选择器：请另用一个帖子页检查（--url 帖子地址，或 --file 保存的帖子页 --as thread）")
    lines.append("  问题：" + ("无" if not problems else ""))
    lines += [f"    - {p}" for p in problems]
    return "\n".join(lines)


_FIELDS = {
    "title": "标题",
    "published_at": "时间",
    "author": "作者",
    "reply_count": "回复数",
    "view_count": "浏览数",
    "up_votes": "点赞数",
    "down_votes": "反对数",
    "status": "状态",
}


def _coverage(source: Source, entries: list[ListEntry]) -> tuple[list[str], list[str]]:
    """How many items each configured list field was found on; a field found on none is a problem."""
    configured = source.list or source.json_fields
    if configured is None or not entries:
        return [], []
    parts: list[str] = []
    problems: list[str] = []
    for field, name in _FIELDS.items():
        selector = getattr(configured, field, None)
        if not selector:
            continue
        value_of = "time_text" if field == "published_at" else field
        empty = [n for n, e in enumerate(entries, 1) if getattr(e, value_of) in (None, "")]
        got = len(entries) - len(empty)
        part = f"{name} {got}/{len(entries)}"
        if empty and got:
            more = "…" if len(empty) > 5 else ""
            part += f"（空：第 {', '.join(map(str, empty[:5]))}{more} 项）"
        parts.append(part)
        if not got:
            problems.append(f"{name}（{selector}）在所有列表项上都没有取到内容")
    if "published_at" in (f for f in _FIELDS if getattr(configured, f, None)):
        unreadable = [
            n for n, e in enumerate(entries, 1) if e.time_text and e.published_at is None and not _parses(e, source)
        ]
        if unreadable:
            problems.append(f"时间无法解析：第 {', '.join(map(str, unreadable[:5]))} 项")
    return parts, problems


def _parses(entry: ListEntry, source: Source) -> bool:
    return parse_post_time(entry.time_text, tz=source.timezone) is not None


_RELATIVE = re.compile(r"刚刚|前|今天|昨天|前天")


def _time(text: str | None, parsed: datetime | None) -> str:
    if not text and parsed is None:
        return "—"
    if parsed is None:
        return f"{text} → 无法解析"
    shown = parsed.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")
    if text and re.fullmatch(r"\s*\d{1,2}\s*[:：]\s*\d{1,2}\s*", text):
        return f"{text} → {shown}（只有时刻：按抓取当天推断）"
    guessed = bool(text) and not re.search(r"\d{4}", text or "") and not _RELATIVE.search(text or "")
    return f"{text or ''} → {shown}" + ("（未写年份：按抓取时的年份推断）" if guessed else "")


def _read_list(source: Source, response: HtmlResponse) -> ListPage:
    return spider_for(source.kind).list_page(response, response.text, source)


def _entry_extras(entry: ListEntry, tz: str) -> str:
    parts = []
    if entry.time_text or entry.published_at:
        parsed = entry.published_at or parse_post_time(entry.time_text, tz=tz)
        parts.append(f"时间 {_time(entry.time_text, parsed)}")
    if entry.author:
        parts.append(f"作者 {entry.author}")
    if entry.reply_count is not None:
        parts.append(f"回复 {entry.reply_count}")
    if entry.view_count is not None:
        parts.append(f"浏览 {entry.view_count}")
    if entry.up_votes is not None or entry.down_votes is not None:
        parts.append(f"点赞 {_num(entry.up_votes)} 反对 {_num(entry.down_votes)}")
    if entry.status:
        parts.append(f"状态 {entry.status}")
    if entry.content:
        parts.append(f"正文 {_preview(entry.content, 60)}")
    return "  ".join(parts)


def _preview(text: str, size: int = 120) -> str:
    if not text:
        return "—（未取到正文）"
    flat = text.replace("\n", " / ")
    return (flat[:size] + "……" if len(flat) > size else flat) + f"（共 {len(text)} 字）"


def _replies_from(s: ThreadSelectors, page: ThreadPage) -> str:
    """Which field gave the reply count: the thread page's number wins, then the list's 跟帖 number, and
    counting thread.replies on this page comes last."""
    if page.reply_count_from == "thread":
        return "（取自帖子页的回复数）"
    if page.reply_count_from == "list":
        return "（取自列表页的跟帖数，优先于 thread.replies 计数）"
    if page.reply_count_from == "counted":
        note = "；正式抓取时列表页的跟帖数优先" if s.replies else ""
        return f"（按 thread.replies「{s.replies}」数出本页 {page.reply_count} 条{note}）"
    return ""


def _official(reply: OfficialReply | None) -> str:
    if reply is None:
        return "—（本帖没有取到官方回复）"
    when = reply.replied_at.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M") if reply.replied_at else "时间未知"
    return f"{reply.unit or '回复单位未知'} · {when} · {_preview(reply.text, 80)}"


def _num(value: int | None) -> str:
    return "—" if value is None else str(value)
