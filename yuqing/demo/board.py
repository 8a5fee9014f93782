"""A sample complaint board shaped like a real Chinese government message board (红网《百姓呼声》-style).

Used by `yuqing demo` so a newcomer sees posts appear and get crawled without internet, and by the tests as
the local site a real Scrapy crawl runs against. Standard library only; every piece of post text is escaped
(a post containing `<script>` shows as text on the board, and reaches the crawler as text).
"""

from __future__ import annotations

import html
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import yaml

LOCAL = ZoneInfo("Asia/Shanghai")
PAGE_SIZE = 20


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

    @property
    def status(self) -> str:
        return "已回复" if self.replies else "未回复"


def _local(at: datetime) -> str:
    return at.astimezone(LOCAL).strftime("%Y-%m-%d %H:%M")


class SampleBoard:
    # board id -> (display name, encoding)
    BOARDS: ClassVar[dict[str, tuple[str, str]]] = {
        "baixing": ("百姓呼声（示例）", "utf-8"),
        "tousu": ("投诉直通车（示例）", "gbk"),
    }

    def __init__(self, posts: list[BoardPost] | None = None, *, now: Callable[[], datetime] | None = None) -> None:
        self._now = now or (lambda: datetime.now(UTC))
        self._lock = threading.Lock()
        self._posts: list[BoardPost] = list(posts or [])
        self._next_id = max((p.id for p in self._posts), default=1000) + 1
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._base_url = ""

    @classmethod
    def with_seed(cls) -> SampleBoard:
        """The bundled seed posts, spread over the two days before now, oldest first."""
        seed = _load_seed()
        now = datetime.now(UTC)
        entries = seed["posts"]
        posts: list[BoardPost] = []
        for index, entry in enumerate(entries):
            posted_at = now - timedelta(hours=48) + timedelta(hours=47 * index / max(len(entries), 1))
            replies = [
                BoardReply(r["author"], r["content"], posted_at + timedelta(hours=3 + i))
                for i, r in enumerate(entry.get("replies", []))
            ]
            posts.append(
                BoardPost(
                    id=1001 + index,
                    board=entry["board"],
                    title=entry["title"],
                    content=entry["content"].strip(),
                    author=entry.get("author", "网友"),
                    posted_at=posted_at,
                    replies=replies,
                    views=int(entry.get("views", 50 + 17 * index)),
                )
            )
        return cls(posts)

    # --- data -------------------------------------------------------------------------------------------

    def add_post(self, board: str, title: str, content: str, author: str = "网友") -> BoardPost:
        if board not in self.BOARDS:
            raise KeyError(f"no board {board!r}")
        with self._lock:
            post = BoardPost(
                id=self._next_id, board=board, title=title, content=content, author=author, posted_at=self._now()
            )
            self._next_id += 1
            self._posts.append(post)
        return post

    def posts(self, board: str) -> list[BoardPost]:
        """Newest first."""
        with self._lock:
            chosen = [p for p in self._posts if p.board == board]
        return sorted(chosen, key=lambda p: (p.posted_at, p.id), reverse=True)

    def get(self, board: str, post_id: int) -> BoardPost | None:
        with self._lock:
            for post in self._posts:
                if post.board == board and post.id == post_id:
                    return post
        return None

    # --- serving ----------------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return self._base_url

    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        server = ThreadingHTTPServer((host, port), _handler(self))
        server.daemon_threads = True
        self._server = server
        self._base_url = f"http://{host}:{server.server_address[1]}"
        self._thread = threading.Thread(target=server.serve_forever, name="sample-board", daemon=True)
        self._thread.start()
        return self._base_url

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    # --- pages ------------------------------------------------------------------------------------------

    def page(self, board: str, body: str) -> tuple[bytes, str]:
        name, encoding = self.BOARDS.get(board, ("示例论坛", "utf-8"))
        document = (
            f"<!doctype html><html lang='zh-CN'><head><meta charset='{encoding}'>"
            f"<title>{html.escape(name)}</title><style>{_CSS}</style></head><body>"
            f"<div class='top'><a href='/'>示例政务论坛</a> › <a href='/{board}/list'>{html.escape(name)}</a>"
            f" <a class='new' href='/{board}/new'>我要留言</a></div><div class='main'>{body}</div>"
            "<div class='foot'>本站为 Yuqing 演示用示例论坛，内容均为虚构。</div></body></html>"
        )
        return document.encode(encoding, errors="xmlcharrefreplace"), f"text/html; charset={encoding.upper()}"

    def list_page(self, board: str, page: int) -> str:
        posts = self.posts(board)
        chunk = posts[(page - 1) * PAGE_SIZE : page * PAGE_SIZE] if page >= 1 else []
        items = "".join(
            f"<li class='post-item' data-id='{p.id}'>"
            f"<a class='post-title' href='/{board}/thread/{p.id}'>{html.escape(p.title)}</a>"
            f"<span class='post-author'>{html.escape(p.author)}</span>"
            f"<span class='post-time'>{_local(p.posted_at)}</span>"
            f"<span class='post-status'>{p.status}</span>"
            f"<span class='post-replies'>{len(p.replies)}</span></li>"
            for p in chunk
        )
        more = page * PAGE_SIZE < len(posts)
        next_link = f"<a class='next-page' href='/{board}/list?page={page + 1}'>下一页</a>" if more else ""
        return (
            f"<h2>{html.escape(self.BOARDS[board][0])} · 第 {page} 页</h2>"
            "<div class='head'><span>标题</span><span>留言人</span><span>时间</span><span>状态</span>"
            f"<span>回复</span></div><ul class='post-list'>{items}</ul><div class='pager'>{next_link}</div>"
        )

    def thread_page(self, post: BoardPost) -> str:
        paragraphs = "".join(f"<p>{html.escape(line)}</p>" for line in post.content.split("\n") if line.strip())
        replies = "".join(
            f"<div class='reply'><span class='reply-author'>{html.escape(r.author)}</span>"
            f"<span class='reply-time'>{_local(r.replied_at)}</span>"
            f"<div class='reply-content'>{html.escape(r.content)}</div></div>"
            for r in post.replies
        )
        return (
            f"<h1 class='thread-title'>{html.escape(post.title)}</h1>"
            f"<div class='thread-meta'><span class='author'>{html.escape(post.author)}</span>"
            f"<span class='time'>{_local(post.posted_at)}</span><span class='replies'>{len(post.replies)}</span>"
            f"<span class='views'>{post.views}</span></div>"
            f"<div class='thread-content'>{paragraphs}</div>{replies}"
        )


def _load_seed() -> dict[str, Any]:
    text = (resources.files("yuqing.demo") / "board_seed.yaml").read_text(encoding="utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


_CSS = (
    "body{font-family:sans-serif;margin:0;background:#f3f3f3}.top{background:#0b5394;color:#fff;padding:8px}"
    ".top a{color:#fff;margin-right:6px}.top a.new{float:right}.main{background:#fff;margin:10px auto;"
    "max-width:960px;padding:10px}.post-list{list-style:none;padding:0}.post-item{border-bottom:1px dashed #ccc;"
    "padding:6px 0;display:flex;gap:12px}.post-item .post-title{flex:1}.head{display:flex;gap:12px;"
    "font-weight:bold}.head span:first-child{flex:1}.thread-meta span{margin-right:12px;color:#666}"
    ".reply{background:#eef5ff;padding:6px;margin-top:8px}.foot{text-align:center;color:#999;font-size:12px}"
)

_FORM = (
    "<form method='post'><p><label>标题 <input name='title' size='60' required></label></p>"
    "<p><label>内容<br><textarea name='content' rows='8' cols='70' required></textarea></label></p>"
    "<p><label>留言人 <input name='author' value='网友'></label></p><p><button>提交</button></p></form>"
)


def _handler(board: SampleBoard) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "SampleBoard/1.0"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _send(self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body)

        def _json(self, status: int, payload: dict[str, Any]) -> None:
            self._send(status, json.dumps(payload, ensure_ascii=False).encode(), "application/json; charset=utf-8")

        def _not_found(self) -> None:
            self._send(404, "未找到该页面".encode(), "text/plain; charset=utf-8")

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            parts = [p for p in url.path.split("/") if p]
            if url.path == "/robots.txt":
                self._send(200, b"User-agent: *\nDisallow: /admin/\n", "text/plain; charset=utf-8")
            elif not parts:
                links = "".join(
                    f"<li><a href='/{b}/list'>{html.escape(n)}</a></li>" for b, (n, _) in board.BOARDS.items()
                )
                self._send(200, *board.page("baixing", f"<h2>示例政务论坛</h2><ul>{links}</ul>"))
            elif len(parts) == 2 and parts[0] in board.BOARDS and parts[1] == "list":
                try:
                    page = int(parse_qs(url.query).get("page", ["1"])[0])
                except ValueError:
                    page = 1
                self._send(200, *board.page(parts[0], board.list_page(parts[0], page)))
            elif len(parts) == 3 and parts[0] in board.BOARDS and parts[1] == "thread" and parts[2].isdigit():
                post = board.get(parts[0], int(parts[2]))
                if post is None:
                    self._not_found()
                else:
                    post.views += 1
                    self._send(200, *board.page(parts[0], board.thread_page(post)))
            elif len(parts) == 2 and parts[0] in board.BOARDS and parts[1] == "new":
                self._send(200, *board.page(parts[0], f"<h2>我要留言</h2>{_FORM}"))
            else:
                self._not_found()

        def do_POST(self) -> None:
            url = urlsplit(self.path)
            parts = [p for p in url.path.split("/") if p]
            raw = self.rfile.read(min(int(self.headers.get("Content-Length", "0") or 0), 1_000_000))
            if url.path == "/api/posts":
                try:
                    data = json.loads(raw.decode("utf-8"))
                    post = board.add_post(
                        str(data["board"]), str(data["title"]), str(data["content"]), str(data.get("author", "网友"))
                    )
                except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
                    self._json(400, {"error": f"bad post: {exc}"})
                    return
                self._json(201, {"id": post.id, "url": f"{board.base_url}/{post.board}/thread/{post.id}"})
            elif len(parts) == 2 and parts[0] in board.BOARDS and parts[1] == "new":
                form = parse_qs(raw.decode("utf-8", errors="replace"))
                title = form.get("title", [""])[0].strip()
                content = form.get("content", [""])[0].strip()
                if not title or not content:
                    self._send(400, *board.page(parts[0], "<p>标题和内容不能为空。</p>" + _FORM))
                    return
                post = board.add_post(parts[0], title, content, form.get("author", ["网友"])[0].strip() or "网友")
                self._send(303, b"", "text/plain", {"Location": f"/{parts[0]}/thread/{post.id}"})
            else:
                self._not_found()

    return Handler


@dataclass(frozen=True)
class ScriptedPost:
    after_seconds: float
    board: str
    title: str
    content: str
    author: str


@dataclass
class DemoScript:
    """Posts that appear on the board while the demo runs, so a newcomer sees the whole flow."""

    posts: list[ScriptedPost]

    @classmethod
    def default(cls) -> DemoScript:
        return cls(
            [
                ScriptedPost(float(p["after_seconds"]), p["board"], p["title"], p["content"].strip(), p["author"])
                for p in _load_seed()["script"]
            ]
        )

    def play(self, board: SampleBoard, *, speed: float = 1.0, stop_event: threading.Event) -> None:
        started = time.monotonic()
        for post in sorted(self.posts, key=lambda p: p.after_seconds):
            wait = post.after_seconds / max(speed, 0.001) - (time.monotonic() - started)
            if wait > 0 and stop_event.wait(wait):
                return
            board.add_post(post.board, post.title, post.content, post.author)
