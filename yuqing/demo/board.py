"""A sample complaint board shaped like a real Chinese government message board (红网《百姓呼声》-style).

Used by `yuqing demo` so a newcomer sees posts appear and get crawled without internet, and by the tests as
the local site a real Scrapy crawl runs against. Two boards: `baixing` is served in UTF-8 and `tousu` in GBK,
because real county boards still serve GBK and the crawler has to cope with both.

Standard library only for serving. Every piece of post text goes through `html.escape`, so the board is a
well-behaved site: a post containing `<script>` shows (and reaches the crawler) as text.
"""

from __future__ import annotations

import html
import json
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

import yaml

log = logging.getLogger(__name__)

# China has kept UTC+8 without daylight saving since 1991, so a fixed offset shows the same wall-clock time
# as Asia/Shanghai without depending on the system's tz database being installed.
SHANGHAI = timezone(timedelta(hours=8), "CST")
PAGE_SIZE = 20
# A board is a toy: refuse bodies that could only be a mistake or abuse rather than buffer them.
MAX_BODY_BYTES = 1_000_000
MAX_TITLE_CHARS = 200
MAX_CONTENT_CHARS = 50_000
DEFAULT_AUTHOR = "网友"


@dataclass
class BoardReply:
    author: str
    content: str
    replied_at: datetime


@dataclass
class BoardPost:
    id: int
    board: str
    title: str
    content: str
    author: str
    posted_at: datetime
    replies: list[BoardReply] = field(default_factory=list)
    views: int = 0

    def __post_init__(self) -> None:
        # A naive time would be rendered in whatever zone the machine is in; the board promises Shanghai time.
        if self.posted_at.tzinfo is None:
            raise ValueError(f"post {self.id}: posted_at must be timezone-aware")

    @property
    def status(self) -> str:
        return "已回复" if self.replies else "未回复"


def local_time(at: datetime) -> str:
    """How the board shows a time: Shanghai wall-clock, to the minute."""
    return at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


@dataclass(frozen=True)
class _Response:
    status: int
    body: bytes
    content_type: str
    headers: tuple[tuple[str, str], ...] = ()


class SampleBoard:
    """The posts of both boards, and an HTTP server showing them. Safe to post to from several threads."""

    # board id -> (display name, encoding)
    BOARDS: ClassVar[dict[str, tuple[str, str]]] = {
        "baixing": ("百姓呼声（示例）", "utf-8"),
        "tousu": ("投诉直通车（示例）", "gbk"),
    }

    def __init__(self, posts: list[BoardPost] | None = None, *, now: Callable[[], datetime] | None = None) -> None:
        self._now: Callable[[], datetime] = now or (lambda: datetime.now(UTC))
        self._lock = threading.Lock()
        self._posts: dict[int, BoardPost] = {}
        for post in posts or []:
            if post.board not in self.BOARDS:
                raise ValueError(f"post {post.id}: unknown board {post.board!r}")
            if post.id in self._posts:
                raise ValueError(f"duplicate post id {post.id}")
            self._posts[post.id] = post
        # Ids are shared by both boards (as on real sites, where one thread table backs every column).
        self._next_id = max(self._posts, default=1000) + 1
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._base_url = ""

    @classmethod
    def with_seed(cls, *, now: Callable[[], datetime] | None = None) -> SampleBoard:
        """The bundled seed posts (board_seed.yaml), spread over the two days before now, oldest first."""
        clock = now or (lambda: datetime.now(UTC))
        return cls(_seed_posts(_load_seed(), clock()), now=clock)

    # --- data ---------------------------------------------------------------------------------------------

    def add_post(self, board: str, title: str, content: str, author: str = DEFAULT_AUTHOR) -> BoardPost:
        """Publish a post now; raises ValueError for an unknown board or an empty/oversized title or content."""
        if board not in self.BOARDS:
            raise ValueError(f"unknown board {board!r}")
        title, content, author = title.strip(), content.strip(), author.strip() or DEFAULT_AUTHOR
        if not title or not content:
            raise ValueError("title and content must not be empty")
        if len(title) > MAX_TITLE_CHARS or len(content) > MAX_CONTENT_CHARS:
            raise ValueError("title or content too long")
        with self._lock:
            post = BoardPost(
                id=self._next_id, board=board, title=title, content=content, author=author, posted_at=self._now()
            )
            self._next_id += 1
            self._posts[post.id] = post
        log.debug("board %s: new post %d %s", board, post.id, title)
        return post

    def posts(self, board: str) -> list[BoardPost]:
        """The board's posts, newest first (ties broken by id, so a later post still comes first)."""
        if board not in self.BOARDS:
            raise KeyError(f"unknown board {board!r}")
        with self._lock:
            chosen = [p for p in self._posts.values() if p.board == board]
        return sorted(chosen, key=lambda p: (p.posted_at, p.id), reverse=True)

    def get(self, board: str, post_id: int) -> BoardPost | None:
        with self._lock:
            post = self._posts.get(post_id)
        return post if post is not None and post.board == board else None

    # --- serving ------------------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """`http://host:port` once started; empty before."""
        return self._base_url

    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve in a daemon thread; port 0 picks a free port. Returns the base URL."""
        if self._server is not None:
            raise RuntimeError(f"the board is already serving at {self._base_url}")
        server = ThreadingHTTPServer((host, port), _handler_for(self))
        self._server = server
        # A wildcard bind is reachable on loopback; "http://0.0.0.0:…" is not a link anyone can open.
        shown = "127.0.0.1" if host in ("", "0.0.0.0") else host
        self._base_url = f"http://{shown}:{server.server_address[1]}"
        # A short poll interval so stop() (and every test teardown) returns promptly.
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="sample-board", daemon=True
        )
        self._thread.start()
        log.info("示例论坛已启动：%s", self._base_url)
        return self._base_url

    def stop(self) -> None:
        """Stop serving and wait for the server thread. Safe to call twice or before start()."""
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=10)
        self._base_url = ""

    def __enter__(self) -> SampleBoard:
        if self._server is None:
            self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- routing (pure: request in, response out; the handler only does the socket work) -----------------

    def _get(self, target: str) -> _Response:
        url = urlsplit(target)
        parts = [p for p in url.path.split("/") if p]
        if url.path == "/robots.txt":
            return _Response(200, b"User-agent: *\nDisallow: /admin/\n", "text/plain; charset=utf-8")
        if not parts:
            return _page(None, "示例政务论坛", _index_body(self))
        if len(parts) < 2 or parts[0] not in self.BOARDS:
            return _not_found()
        board = parts[0]
        if parts[1:] == ["list"]:
            return _page(board, "留言列表", _list_body(self, board, _page_number(url.query)))
        if parts[1:] == ["new"]:
            return _page(board, "我要留言", _form_body(board))
        if len(parts) == 3 and parts[1] == "thread" and parts[2].isascii() and parts[2].isdigit():
            post = self._viewed(board, int(parts[2]))
            if post is not None:
                return _page(board, post.title, _thread_body(post))
        return _not_found()

    def _viewed(self, board: str, post_id: int) -> BoardPost | None:
        with self._lock:
            post = self._posts.get(post_id)
            if post is None or post.board != board:
                return None
            post.views += 1
            return post

    def _post(self, target: str, body: bytes) -> _Response:
        path = urlsplit(target).path
        parts = [p for p in path.split("/") if p]
        if path == "/api/posts":
            return self._api_post(body)
        if len(parts) == 2 and parts[0] in self.BOARDS and parts[1] == "new":
            return self._form_post(parts[0], body)
        return _not_found()

    def _api_post(self, body: bytes) -> _Response:
        try:
            data = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return _json(400, {"error": "body must be a UTF-8 JSON object"})
        if not isinstance(data, dict):
            return _json(400, {"error": "body must be a JSON object"})
        for name in ("board", "title", "content"):
            if not isinstance(data.get(name), str):
                return _json(400, {"error": f"missing or non-string field: {name}"})
        author = data.get("author", DEFAULT_AUTHOR)
        if not isinstance(author, str):
            return _json(400, {"error": "author must be a string"})
        try:
            post = self.add_post(data["board"], data["title"], data["content"], author)
        except ValueError as exc:
            return _json(400, {"error": str(exc)})
        return _json(201, {"id": post.id, "url": f"{self._base_url}/{post.board}/thread/{post.id}"})

    def _form_post(self, board: str, body: bytes) -> _Response:
        # The form says accept-charset="utf-8", so even the GBK board's form arrives as UTF-8.
        form = parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True)
        title, content, author = (form.get(name, [""])[0] for name in ("title", "content", "author"))
        try:
            post = self.add_post(board, title, content, author)
        except ValueError:
            message = "标题和内容不能为空，且不能过长。"
            return _page(board, "我要留言", _form_body(board, title, content, author, message), status=400)
        return _Response(303, b"", "text/plain; charset=utf-8", (("Location", f"/{board}/thread/{post.id}"),))


# --- pages -------------------------------------------------------------------------------------------------

_esc = html.escape

_CSS = (
    "body{margin:0;background:#eef1f5;font:14px/1.6 'Microsoft YaHei',SimSun,sans-serif;color:#222}"
    "a{color:#0b4f94;text-decoration:none}a:hover{text-decoration:underline}"
    ".header{background:#b5121b;color:#fff;padding:10px 20px}.header a{color:#fff}"
    ".site{font-size:12px;opacity:.85}.board-name{font-size:22px;font-weight:bold}"
    ".nav{background:#8e0e15;padding:4px 20px}.nav a{color:#fff;margin-right:18px}"
    ".main{background:#fff;max-width:980px;margin:12px auto;padding:12px 20px;border:1px solid #d8dde5}"
    ".list-head,.post-item{display:flex;gap:10px;padding:6px 4px;border-bottom:1px dashed #d8dde5}"
    ".list-head{background:#f4f6f9;font-weight:bold;border-bottom:1px solid #c9d0da}"
    ".post-list{list-style:none;margin:0;padding:0}.post-title,.list-head .c-title{flex:1}"
    ".post-author,.c-author{width:110px}.post-time,.c-time{width:130px;color:#666}"
    ".post-status,.c-status{width:56px}.post-replies,.c-replies{width:40px;text-align:right}"
    ".pager{margin:12px 0;text-align:center}.pager a{margin:0 8px}.empty{color:#888;padding:20px 0}"
    ".thread-title{font-size:20px;margin:8px 0}.thread-meta span{margin-right:16px;color:#666;font-size:12px}"
    ".thread-meta .author:before{content:'留言人：'}.thread-meta .time:before{content:'时间：'}"
    ".thread-meta .replies:before{content:'回复：'}.thread-meta .views:before{content:'浏览：'}"
    ".thread-content{border-top:1px solid #d8dde5;margin-top:8px;padding-top:8px}"
    ".reply{background:#fdf6e3;border:1px solid #ecd9a6;margin-top:12px;padding:8px 12px}"
    ".reply-author{font-weight:bold;margin-right:12px}.reply-time{color:#666;font-size:12px}"
    ".post-form input,.post-form textarea{width:100%;box-sizing:border-box}.error{color:#b5121b}"
    ".footer{text-align:center;color:#888;font-size:12px;padding:12px}"
)


def _page(board: str | None, title: str, body: str, *, status: int = 200) -> _Response:
    """A whole page in the board's encoding; characters the encoding lacks become numeric references."""
    if board is None:
        name, encoding = "示例政务论坛", "utf-8"
        nav = "".join(f'<a href="/{b}/list">{_esc(n)}</a>' for b, (n, _) in SampleBoard.BOARDS.items())
    else:
        name, encoding = SampleBoard.BOARDS[board]
        nav = f'<a href="/">首页</a><a href="/{board}/list">留言列表</a><a href="/{board}/new">我要留言</a>'
    document = (
        "<!DOCTYPE html>\n"
        f'<html lang="zh-CN">\n<head>\n<meta charset="{encoding}">\n'
        f"<title>{_esc(title)} - {_esc(name)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        '<div class="header"><div class="site">城关县人民政府 · 网络问政平台（演示）</div>'
        f'<div class="board-name">{_esc(name)}</div></div>\n<div class="nav">{nav}</div>\n'
        f'<div class="main">\n{body}\n</div>\n'
        '<div class="footer">本站为 Yuqing 演示用示例论坛，所有内容均为虚构。</div>\n</body>\n</html>\n'
    )
    return _Response(
        status,
        document.encode(encoding, errors="xmlcharrefreplace"),
        f"text/html; charset={'GBK' if encoding == 'gbk' else encoding}",
    )


def _not_found() -> _Response:
    return _page(None, "页面不存在", '<p class="empty">您访问的页面不存在或已被删除。</p>', status=404)


def _json(status: int, payload: dict[str, Any]) -> _Response:
    return _Response(status, json.dumps(payload, ensure_ascii=False).encode("utf-8"), "application/json")


def _page_number(query: str) -> int:
    # Real boards are lenient about junk in ?page=, and so is this one: it shows page 1.
    try:
        return int(parse_qs(query).get("page", ["1"])[0])
    except ValueError:
        return 1


def _index_body(board: SampleBoard) -> str:
    rows = []
    for board_id, (name, encoding) in SampleBoard.BOARDS.items():
        posts = board.posts(board_id)
        latest = f"，最新留言 {local_time(posts[0].posted_at)}" if posts else ""
        rows.append(
            f'<li><a href="/{board_id}/list">{_esc(name)}</a>'
            f"（{len(posts)} 条留言{latest}，{encoding.upper()} 编码）</li>"
        )
    return "<h2>留言板块</h2>\n<ul>" + "".join(rows) + "</ul>"


def _list_body(board: SampleBoard, board_id: str, page: int) -> str:
    posts = board.posts(board_id)
    pages = max(1, -(-len(posts) // PAGE_SIZE))
    chunk = posts[(page - 1) * PAGE_SIZE : page * PAGE_SIZE] if page >= 1 else []
    items = "".join(
        f'  <li class="post-item" data-id="{p.id}">\n'
        f'    <a class="post-title" href="/{board_id}/thread/{p.id}">{_esc(p.title)}</a>\n'
        f'    <span class="post-author">{_esc(p.author)}</span>\n'
        f'    <span class="post-time">{local_time(p.posted_at)}</span>\n'
        f'    <span class="post-status">{p.status}</span>\n'
        f'    <span class="post-replies">{len(p.replies)}</span>\n'
        "  </li>\n"
        for p in chunk
    )
    empty = "" if chunk else '<p class="empty">本页暂无留言。</p>\n'
    links = []
    if 1 < page <= pages + 1:
        links.append(f'<a class="prev-page" href="/{board_id}/list?page={page - 1}">上一页</a>')
    links.append(f"<span>第 {page} 页 / 共 {pages} 页</span>")
    if page >= 1 and page * PAGE_SIZE < len(posts):
        links.append(f'<a class="next-page" href="/{board_id}/list?page={page + 1}">下一页</a>')
    return (
        '<div class="list-head"><span class="c-title">标题</span><span class="c-author">留言人</span>'
        '<span class="c-time">留言时间</span><span class="c-status">状态</span><span class="c-replies">回复</span>'
        f'</div>\n<ul class="post-list">\n{items}</ul>\n{empty}<div class="pager">{"".join(links)}</div>'
    )


def _thread_body(post: BoardPost) -> str:
    paragraphs = "".join(f"<p>{_esc(line.strip())}</p>" for line in post.content.splitlines() if line.strip())
    replies = "".join(
        f'<div class="reply"><span class="reply-author">{_esc(r.author)}</span>'
        f'<span class="reply-time">{local_time(r.replied_at)}</span>'
        f'<div class="reply-content">{_esc(r.content)}</div></div>\n'
        for r in post.replies
    )
    return (
        f'<h1 class="thread-title">{_esc(post.title)}</h1>\n'
        f'<div class="thread-meta"><span class="author">{_esc(post.author)}</span>'
        f'<span class="time">{local_time(post.posted_at)}</span><span class="replies">{len(post.replies)}</span>'
        f'<span class="views">{post.views}</span></div>\n'
        f'<div class="thread-content">{paragraphs}</div>\n{replies}'
        f'<p><a href="/{post.board}/list">返回列表</a></p>'
    )


def _form_body(board: str, title: str = "", content: str = "", author: str = DEFAULT_AUTHOR, error: str = "") -> str:
    problem = f'<p class="error">{_esc(error)}</p>' if error else ""
    return (
        f"<h2>我要留言</h2>{problem}\n"
        f'<form class="post-form" method="post" action="/{board}/new" accept-charset="utf-8">\n'
        f'<p><label>标题<br><input name="title" maxlength="{MAX_TITLE_CHARS}" required value="{_esc(title)}">'
        "</label></p>\n"
        f'<p><label>内容<br><textarea name="content" rows="10" required>{_esc(content)}</textarea></label></p>\n'
        f'<p><label>留言人<br><input name="author" value="{_esc(author)}"></label></p>\n'
        '<p><button type="submit">提交留言</button></p>\n</form>'
    )


# --- HTTP --------------------------------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    board: ClassVar[SampleBoard]
    server_version = "SampleBoard/1.0"

    def log_message(self, format: str, *args: Any) -> None:
        # Access lines would drown the demo's console; keep them for whoever turns on debug logging.
        log.debug("%s %s", self.address_string(), format % args)

    def do_GET(self) -> None:
        self._reply(lambda: self.board._get(self.path))

    def do_POST(self) -> None:
        length_header = self.headers.get("Content-Length", "0") or "0"
        try:
            length = int(length_header)
        except ValueError:
            self._send(_json(400, {"error": "bad Content-Length"}))
            return
        if length < 0 or length > MAX_BODY_BYTES:
            self._send(_json(413, {"error": f"body larger than {MAX_BODY_BYTES} bytes"}))
            return
        body = self.rfile.read(length)
        self._reply(lambda: self.board._post(self.path, body))

    def _reply(self, respond: Callable[[], _Response]) -> None:
        try:
            response = respond()
        except Exception:
            log.exception("示例论坛处理 %s %s 时出错", self.command, self.path)
            response = _json(500, {"error": "internal error"})
        self._send(response)

    def _send(self, response: _Response) -> None:
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        for name, value in response.headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(response.body)


def _handler_for(board: SampleBoard) -> type[_Handler]:
    # The server instantiates the handler class per request, so the board rides along as a class attribute.
    class SampleBoardHandler(_Handler):
        pass

    SampleBoardHandler.board = board
    return SampleBoardHandler


# --- seed and demo script ----------------------------------------------------------------------------------


def _load_seed() -> dict[str, Any]:
    text = (resources.files("yuqing.demo") / "board_seed.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    if not isinstance(data, dict) or not isinstance(data.get("posts"), list):
        raise ValueError("board_seed.yaml: expected a mapping with a 'posts' list")
    return data


def _field(entry: dict[str, Any], name: str, where: str) -> str:
    value = entry.get(name)
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"board_seed.yaml {where}: '{name}' must be a non-empty string")
    return value.strip()


def _seed_posts(seed: dict[str, Any], now: datetime) -> list[BoardPost]:
    entries: list[dict[str, Any]] = seed["posts"]
    count = max(len(entries), 1)
    posts = []
    for index, entry in enumerate(entries):
        where = f"posts[{index}]"
        # Oldest first, from ~47 h ago to ~1 h ago, with a few minutes' irregularity so the times look
        # typed by people rather than by a loop; the newest seed post is still clearly older than the script's.
        offset = timedelta(hours=47 * (count - index) / count) - timedelta(minutes=(index * 37) % 23)
        posted_at = now - timedelta(hours=1) - offset
        replies = []
        for r_index, reply in enumerate(entry.get("replies") or []):
            delay = timedelta(hours=float(reply.get("after_hours", 3 + r_index)))
            # Never a reply from the future: a post from an hour ago gets its answer within that hour.
            replied_at = min(posted_at + delay, posted_at + (now - posted_at) * 0.8)
            replies.append(
                BoardReply(
                    _field(reply, "author", f"{where}.replies[{r_index}]"),
                    _field(reply, "content", f"{where}.replies[{r_index}]"),
                    replied_at,
                )
            )
        board = _field(entry, "board", where)
        if board not in SampleBoard.BOARDS:
            raise ValueError(f"board_seed.yaml {where}: unknown board {board!r}")
        posts.append(
            BoardPost(
                id=1001 + index,
                board=board,
                title=_field(entry, "title", where),
                content=_field(entry, "content", where),
                author=str(entry.get("author") or DEFAULT_AUTHOR),
                posted_at=posted_at,
                replies=replies,
                views=int(entry.get("views", 40 + (index * 53) % 400)),
            )
        )
    return posts


@dataclass(frozen=True)
class ScriptedPost:
    after_seconds: float
    board: str
    title: str
    content: str
    author: str = DEFAULT_AUTHOR


@dataclass
class DemoScript:
    """Posts that appear on the board while the demo runs, so a newcomer sees the whole flow happen."""

    posts: list[ScriptedPost]

    def __post_init__(self) -> None:
        # Checked up front: a bad entry would otherwise surface only when its moment came, in a background thread.
        for post in self.posts:
            if post.board not in SampleBoard.BOARDS:
                raise ValueError(f"scripted post {post.title!r}: unknown board {post.board!r}")
            if post.after_seconds < 0:
                raise ValueError(f"scripted post {post.title!r}: after_seconds must not be negative")

    @classmethod
    def default(cls) -> DemoScript:
        """The `script:` section of board_seed.yaml."""
        entries = _load_seed().get("script") or []
        return cls(
            [
                ScriptedPost(
                    after_seconds=float(entry["after_seconds"]),
                    board=_field(entry, "board", f"script[{i}]"),
                    title=_field(entry, "title", f"script[{i}]"),
                    content=_field(entry, "content", f"script[{i}]"),
                    author=str(entry.get("author") or DEFAULT_AUTHOR),
                )
                for i, entry in enumerate(entries)
            ]
        )

    def play(
        self,
        board: SampleBoard,
        *,
        speed: float = 1.0,
        stop_event: threading.Event,
        names: Mapping[str, str] | None = None,
    ) -> None:
        """Post each entry at its time (divided by speed); returns early once stop_event is set. `names` gives
        each board's name as the configuration calls its source (the narration says the name the rest of the
        demo uses, never the board's own label nor a post number)."""
        if speed <= 0:
            raise ValueError("speed must be positive")
        started = time.monotonic()
        for post in sorted(self.posts, key=lambda p: p.after_seconds):
            # Measured from the start rather than slept in steps, so the schedule doesn't drift.
            wait = post.after_seconds / speed - (time.monotonic() - started)
            if stop_event.wait(max(wait, 0)):
                return
            board.add_post(post.board, post.title, post.content, post.author)
            shown = (names or {}).get(post.board) or board.BOARDS[post.board][0]
            log.info("演示：示例论坛「%s」出现新帖《%s》", shown, post.title)
