"""The bundled sample board behaves like a real board: paging, GBK, escaping, posting, errors."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from yuqing.demo.board import BoardPost, DemoScript, SampleBoard, ScriptedPost


@pytest.fixture
def board() -> Iterator[SampleBoard]:
    start = datetime(2026, 11, 1, tzinfo=UTC)
    posts = [
        BoardPost(
            id=100 + i,
            board="baixing",
            title=f"帖子{i}",
            content=f"内容{i}",
            author="网友",
            posted_at=start + timedelta(minutes=i),
        )
        for i in range(25)
    ]
    posts.append(
        BoardPost(
            id=200, board="tousu", title="供暖不达标€", content="温度只有十五度😀", author="住户", posted_at=start
        )
    )
    posts.append(
        BoardPost(
            id=201,
            board="baixing",
            title="<script>alert('xss')</script>",
            content="<b>加粗</b>",
            author="网友",
            posted_at=start - timedelta(days=1),
        )
    )
    board = SampleBoard(posts)
    board.start()
    yield board
    board.stop()


def test_list_paging_newest_first(board: SampleBoard) -> None:
    first = httpx.get(f"{board.base_url}/baixing/list").text
    assert first.count("class='post-item'") == 20 and "class='next-page'" in first
    assert first.index("帖子24") < first.index("帖子23")
    second = httpx.get(f"{board.base_url}/baixing/list?page=2").text
    assert second.count("class='post-item'") == 6 and "next-page" not in second
    assert httpx.get(f"{board.base_url}/baixing/list?page=9").text.count("class='post-item'") == 0


def test_gbk_board_is_really_gbk(board: SampleBoard) -> None:
    response = httpx.get(f"{board.base_url}/tousu/thread/200")
    assert response.headers["content-type"] == "text/html; charset=GBK"
    text = response.content.decode("gbk")
    assert "<meta charset='gbk'>" in text and "供暖不达标&#8364;" in text and "&#128512;" in text
    with pytest.raises(UnicodeDecodeError):
        response.content.decode("utf-8")


def test_hostile_post_is_escaped(board: SampleBoard) -> None:
    page = httpx.get(f"{board.base_url}/baixing/thread/201").text
    assert "<script>alert" not in page and "&lt;script&gt;alert(&#x27;xss&#x27;)&lt;/script&gt;" in page
    assert "&lt;b&gt;加粗&lt;/b&gt;" in page


def test_posting_through_api_and_form(board: SampleBoard) -> None:
    created = httpx.post(f"{board.base_url}/api/posts", json={"board": "tousu", "title": "新帖", "content": "正文"})
    assert created.status_code == 201
    assert created.json()["url"] == f"{board.base_url}/tousu/thread/{created.json()['id']}"
    assert "新帖" in httpx.get(f"{board.base_url}/tousu/list").text.split("class='post-item'")[1]
    form = httpx.post(
        f"{board.base_url}/baixing/new", data={"title": "表单帖", "content": "表单内容", "author": "市民"}
    )
    assert form.status_code == 303
    thread = httpx.get(board.base_url + form.headers["location"]).text
    assert "表单帖" in thread and "市民" in thread


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("POST", "/api/posts", b"not json", 400),
        ("POST", "/api/posts", b'{"board": "baixing"}', 400),
        ("POST", "/api/posts", b'{"board": "nope", "title": "t", "content": "c"}', 400),
        ("POST", "/baixing/new", b"title=&content=", 400),
        ("GET", "/nope/list", b"", 404),
        ("GET", "/baixing/thread/99999", b"", 404),
        ("GET", "/tousu/thread/100", b"", 404),  # a baixing post is not on tousu
        ("GET", "/admin/", b"", 404),
    ],
)
def test_bad_requests(board: SampleBoard, method: str, path: str, body: bytes, status: int) -> None:
    assert httpx.request(method, board.base_url + path, content=body).status_code == status


def test_robots_and_index(board: SampleBoard) -> None:
    assert "Disallow: /admin/" in httpx.get(f"{board.base_url}/robots.txt").text
    assert "/tousu/list" in httpx.get(board.base_url + "/").text


def test_seed_and_script() -> None:
    seeded = SampleBoard.with_seed()
    assert len(seeded.posts("baixing")) + len(seeded.posts("tousu")) >= 25
    assert any("<script>" in p.title for p in seeded.posts("baixing"))
    script = DemoScript.default()
    assert [p.after_seconds for p in script.posts] == [15, 30, 60]
    fast = DemoScript([ScriptedPost(0.05, "baixing", "脚本帖", "内容", "网友")])
    before = len(seeded.posts("baixing"))
    fast.play(seeded, speed=10, stop_event=threading.Event())
    assert len(seeded.posts("baixing")) == before + 1 and seeded.posts("baixing")[0].title == "脚本帖"
    stopped = threading.Event()
    stopped.set()
    DemoScript([ScriptedPost(5, "baixing", "不会出现", "x", "y")]).play(seeded, stop_event=stopped)
    assert all(p.title != "不会出现" for p in seeded.posts("baixing"))
