"""The bundled sample board behaves like a real board: paging, GBK, escaping, posting, errors, clean stop.

Pages are read with parsel (what Scrapy uses) and the CSS selectors of config/example/sources.yaml, so a
change in markup that would break the demo spider breaks here first.
"""

from __future__ import annotations

import itertools
import json
import logging
import re
import socket
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from parsel import Selector

from yuqing.demo.board import BoardPost, BoardReply, DemoScript, SampleBoard, ScriptedPost

START = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
HOSTILE_TITLE = "测试<script>alert('xss')</script>"
HOSTILE_CONTENT = "第一段<b>加粗</b>\n\n第二段"


def ticking_clock() -> Callable[[], datetime]:
    """A clock a minute past every seed post that moves a second per call, so new posts sort first."""
    seconds = itertools.count()
    return lambda: START + timedelta(days=1, seconds=next(seconds))


@pytest.fixture
def board() -> Iterator[SampleBoard]:
    posts = [
        BoardPost(
            id=100 + i,
            board="baixing",
            title=f"帖子{i}",
            content=f"内容{i}",
            author="网友",
            posted_at=START + timedelta(minutes=i),
        )
        for i in range(25)
    ]
    posts += [
        BoardPost(
            id=200,
            board="tousu",
            title="城关镇供暖温度不达标€",
            content="家里温度只有十五度😡\n请督促整改",
            author="锦绣花园住户",
            posted_at=START,
            replies=[BoardReply("县住建局", "已督促供暖公司排查。", START + timedelta(hours=3))],
            views=120,
        ),
        BoardPost(
            id=201,
            board="tousu",
            title=HOSTILE_TITLE,
            content=HOSTILE_CONTENT,
            author="<i>网友</i>",
            posted_at=START - timedelta(days=1),
        ),
    ]
    board = SampleBoard(posts, now=ticking_clock())
    board.start()
    yield board
    board.stop()


def get(board: SampleBoard, path: str) -> httpx.Response:
    return httpx.get(board.base_url + path, timeout=10)


def page(board: SampleBoard, path: str) -> Selector:
    response = get(board, path)
    assert response.status_code == 200, path
    return Selector(text=response.text)


def test_list_pages_twenty_newest_first_with_next_link_only_when_there_is_more(board: SampleBoard) -> None:
    first = page(board, "/baixing/list")
    items = first.css("li.post-item")
    assert len(items) == 20
    assert items.css("a.post-title::text").getall()[:2] == ["帖子24", "帖子23"]
    assert items[0].attrib["data-id"] == "124"
    assert items[0].css("a.post-title::attr(href)").get() == "/baixing/thread/124"
    assert items[0].css("span.post-author::text").get() == "网友"
    assert items[0].css("span.post-time::text").get() == "2026-11-01 10:24"  # Shanghai time
    assert items[0].css("span.post-status::text").get() == "未回复"
    assert items[0].css("span.post-replies::text").get() == "0"
    assert first.css("a.next-page::attr(href)").get() == "/baixing/list?page=2"

    second = page(board, "/baixing/list?page=2")
    assert second.css("a.post-title::text").getall() == [f"帖子{i}" for i in range(4, -1, -1)]
    assert second.css("a.next-page").get() is None

    assert page(board, "/baixing/list?page=9").css("li.post-item") == []
    assert page(board, "/baixing/list?page=0").css("li.post-item") == []
    assert len(page(board, "/baixing/list?page=junk").css("li.post-item")) == 20  # lenient, like real boards


def test_gbk_board_is_really_gbk_and_keeps_what_gbk_lacks(board: SampleBoard) -> None:
    response = get(board, "/tousu/list")
    assert response.headers["content-type"] == "text/html; charset=GBK"
    with pytest.raises(UnicodeDecodeError):
        response.content.decode("utf-8")
    text = response.content.decode("gbk")
    assert '<meta charset="gbk">' in text and "投诉直通车（示例）" in text
    # '€' has no GBK code, so it travels as a character reference and comes back intact when parsed.
    assert "城关镇供暖温度不达标&#8364;" in text
    assert Selector(text=text).css("a.post-title::text").get() == "城关镇供暖温度不达标€"
    assert Selector(text=text).css("span.post-status::text").get() == "已回复"

    thread = get(board, "/tousu/thread/200")
    assert thread.headers["content-type"] == "text/html; charset=GBK"
    assert "&#128545;" in thread.content.decode("gbk")
    assert "十五度😡" in Selector(text=thread.content.decode("gbk")).css("div.thread-content p::text").get("")


def test_utf8_board_says_utf8(board: SampleBoard) -> None:
    response = get(board, "/baixing/list")
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert '<meta charset="utf-8">' in response.content.decode("utf-8")


def test_thread_page_fields(board: SampleBoard) -> None:
    thread = page(board, "/tousu/thread/200")
    assert thread.css("h1.thread-title::text").get() == "城关镇供暖温度不达标€"
    assert thread.css("div.thread-meta span.author::text").get() == "锦绣花园住户"
    assert thread.css("div.thread-meta span.time::text").get() == "2026-11-01 10:00"
    assert thread.css("div.thread-meta span.replies::text").get() == "1"
    assert int(thread.css("div.thread-meta span.views::text").get("0")) == 121  # counted this visit
    assert thread.css("div.thread-content p::text").getall() == ["家里温度只有十五度😡", "请督促整改"]
    (reply,) = thread.css("div.reply")
    assert reply.css("span.reply-author::text").get() == "县住建局"
    assert reply.css("span.reply-time::text").get() == "2026-11-01 13:00"
    assert reply.css("div.reply-content::text").get() == "已督促供暖公司排查。"
    assert page(board, "/baixing/thread/124").css("div.reply") == []


def test_hostile_post_is_escaped_and_reads_back_as_text(board: SampleBoard) -> None:
    for path in ("/tousu/list", "/tousu/thread/201"):
        text = get(board, path).content.decode("gbk")
        assert "<script>" not in text and "<b>" not in text and "<i>" not in text
        assert "&lt;script&gt;alert(&#x27;xss&#x27;)&lt;/script&gt;" in text
    thread = page(board, "/tousu/thread/201")
    assert thread.css("h1.thread-title::text").get() == HOSTILE_TITLE
    assert thread.css("div.thread-content p::text").getall() == ["第一段<b>加粗</b>", "第二段"]
    assert thread.css("div.thread-meta span.author::text").get() == "<i>网友</i>"
    assert thread.css("script") == []


def test_api_post_appears_first_and_ids_are_shared_and_increasing(board: SampleBoard) -> None:
    created = httpx.post(
        board.base_url + "/api/posts",
        json={"board": "tousu", "title": "新帖：路灯不亮", "content": "幸福路路灯坏了。", "author": "市民张先生"},
    )
    assert created.status_code == 201
    body = created.json()
    assert body == {"id": 202, "url": f"{board.base_url}/tousu/thread/202"}
    first = page(board, "/tousu/list").css("li.post-item")[0]
    assert first.css("a.post-title::text").get() == "新帖：路灯不亮"
    assert first.css("span.post-author::text").get() == "市民张先生"
    assert page(board, "/tousu/thread/202").css("h1.thread-title::text").get() == "新帖：路灯不亮"

    other = httpx.post(board.base_url + "/api/posts", json={"board": "baixing", "title": "t", "content": "c"})
    assert other.json()["id"] == 203  # one id sequence across both boards
    assert board.posts("baixing")[0].author == "网友"


def test_concurrent_posts_get_unique_ids(board: SampleBoard) -> None:
    ids: list[int] = []

    def post_some() -> None:
        for n in range(10):
            ids.append(board.add_post("baixing", f"并发{n}", "内容").id)

    threads = [threading.Thread(target=post_some) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(ids)) == 80 and min(ids) == 202


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b"not json", "JSON"),
        (b"\xff\xfe", "JSON"),
        (b"[1, 2]", "object"),
        (b'{"board": "baixing"}', "title"),
        (b'{"board": "baixing", "title": "t", "content": 5}', "content"),
        (b'{"board": "nope", "title": "t", "content": "c"}', "board"),
        (b'{"board": "baixing", "title": "  ", "content": "c"}', "empty"),
        (b'{"board": "baixing", "title": "t", "content": "c", "author": 1}', "author"),
    ],
)
def test_bad_api_posts_are_400_with_a_json_error(board: SampleBoard, body: bytes, error: str) -> None:
    response = httpx.post(board.base_url + "/api/posts", content=body)
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/json"
    assert error in response.json()["error"]
    assert len(board.posts("baixing")) == 25


@pytest.mark.parametrize(
    "path",
    [
        "/nope/list",
        "/baixing",
        "/baixing/thread/99999",
        "/baixing/thread/abc",
        "/baixing/thread/١٢٣",  # Arabic-Indic digits: isdigit() says yes, the board says no
        "/tousu/thread/100",  # a baixing post is not on tousu
        "/admin/",
        "/baixing/list/extra",
        "/favicon.ico",
    ],
)
def test_unknown_pages_are_404(board: SampleBoard, path: str) -> None:
    assert get(board, path).status_code == 404


def test_post_to_unknown_path_is_404(board: SampleBoard) -> None:
    assert httpx.post(board.base_url + "/nope/new", data={"title": "t", "content": "c"}).status_code == 404
    assert httpx.post(board.base_url + "/api/other", json={}).status_code == 404


def test_robots_and_index(board: SampleBoard) -> None:
    robots = get(board, "/robots.txt")
    assert robots.text == "User-agent: *\nDisallow: /admin/\n"
    assert robots.headers["content-type"].startswith("text/plain")
    index = page(board, "/")
    assert set(index.css("a::attr(href)").getall()) >= {"/baixing/list", "/tousu/list"}
    assert "百姓呼声（示例）" in index.get() and "投诉直通车（示例）" in index.get()


def test_form_posts_utf8_even_on_the_gbk_board(board: SampleBoard) -> None:
    form = page(board, "/tousu/new").css("form")
    assert form.attrib["method"] == "post" and form.attrib["accept-charset"] == "utf-8"
    assert set(form.css("[name]::attr(name)").getall()) == {"title", "content", "author"}

    done = httpx.post(
        board.base_url + "/tousu/new",
        data={"title": "表单帖：噪音扰民", "content": "楼下施工\n到半夜", "author": "市民"},
    )
    assert done.status_code == 303
    assert done.headers["location"] == "/tousu/thread/202"
    thread = page(board, done.headers["location"])
    assert thread.css("h1.thread-title::text").get() == "表单帖：噪音扰民"
    assert thread.css("div.thread-meta span.author::text").get() == "市民"
    assert thread.css("div.thread-content p::text").getall() == ["楼下施工", "到半夜"]


def test_form_with_empty_fields_is_shown_again(board: SampleBoard) -> None:
    response = httpx.post(board.base_url + "/baixing/new", data={"title": "<标题>", "content": "  ", "author": ""})
    assert response.status_code == 400
    again = Selector(text=response.text)
    assert again.css("p.error::text").get() and again.css("input[name=title]::attr(value)").get() == "<标题>"
    assert len(board.posts("baixing")) == 25


def test_oversized_and_malformed_bodies_are_refused(board: SampleBoard) -> None:
    host, port = board.base_url.removeprefix("http://").split(":")
    for length in ("abc", "5000000"):
        with socket.create_connection((host, int(port)), timeout=5) as conn:
            conn.sendall(f"POST /api/posts HTTP/1.0\r\nContent-Length: {length}\r\n\r\n".encode())
            status_line = conn.makefile("rb").readline().decode()
        assert status_line.split()[1] in {"400", "413"}, status_line


def test_stop_closes_the_port_and_is_idempotent() -> None:
    board = SampleBoard()
    url = board.start()
    assert urllib.request.urlopen(url + "/robots.txt", timeout=5).status == 200
    with pytest.raises(RuntimeError):
        board.start()
    board.stop()
    board.stop()
    assert board.base_url == ""
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(url + "/robots.txt", timeout=5)
    with SampleBoard() as again:  # also usable as a context manager
        assert (
            json.loads(
                urllib.request.urlopen(
                    urllib.request.Request(
                        again.base_url + "/api/posts",
                        data=json.dumps({"board": "baixing", "title": "t", "content": "c"}).encode(),
                        method="POST",
                    ),
                    timeout=5,
                ).read()
            )["id"]
            == 1001
        )


def test_posts_must_be_aware_and_on_a_known_board() -> None:
    with pytest.raises(ValueError, match="aware"):
        BoardPost(1, "baixing", "t", "c", "a", datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="board"):
        SampleBoard([BoardPost(1, "nope", "t", "c", "a", START)])
    with pytest.raises(ValueError, match="duplicate"):
        SampleBoard([BoardPost(1, "baixing", "t", "c", "a", START), BoardPost(1, "tousu", "t", "c", "a", START)])
    with pytest.raises(KeyError):
        SampleBoard().posts("nope")


def test_seed_loads_about_thirty_ordinary_posts_over_the_last_two_days() -> None:
    now = datetime(2026, 11, 22, 2, 21, tzinfo=UTC)
    seeded = SampleBoard.with_seed(now=lambda: now)
    baixing, tousu = seeded.posts("baixing"), seeded.posts("tousu")
    posts = baixing + tousu
    assert 25 <= len(posts) <= 35 and len(baixing) > len(tousu) > 5
    assert len({p.id for p in posts}) == len(posts)
    assert all(now - timedelta(hours=49) <= p.posted_at < now - timedelta(minutes=30) for p in posts)
    assert all(p.posted_at <= r.replied_at <= now for p in posts for r in p.replies)
    assert sum(1 for p in posts if p.replies) >= 5 and any(r.author == "县教育局" for p in posts for r in p.replies)
    assert any(p.title.startswith("感谢") for p in posts)
    hostile = [p for p in posts if "<script>alert('xss')</script>" in p.title + p.content]
    assert len(hostile) == 1 and "<b>加粗</b>" in hostile[0].title + hostile[0].content
    assert max(len(p.content) for p in posts) >= 2500
    assert any(not _gbk_safe(p.title + p.content) for p in tousu)
    # The major cases arrive through the script, so the seed holds at most one.
    assert sum(1 for p in posts if _major(p.title + p.content)) <= 1
    # A new post lands after every seed post, so it is first on page 1.
    assert seeded.add_post("tousu", "新", "新").id == max(p.id for p in posts) + 1


def test_seed_gbk_posts_are_served_intact() -> None:
    with SampleBoard.with_seed() as seeded:
        response = httpx.get(seeded.base_url + "/tousu/list", timeout=10)
        titles = Selector(text=response.content.decode("gbk")).css("a.post-title::text").getall()
    assert titles == [p.title for p in seeded.posts("tousu")]


def test_default_script_posts_an_ordinary_case_then_the_two_major_ones() -> None:
    script = DemoScript.default()
    assert [p.after_seconds for p in script.posts] == [15, 30, 60]
    ordinary, bullying, food = (p.title + p.content for p in script.posts)
    assert not _major(ordinary)
    assert all(word in bullying for word in ("学生", "殴打", "欺凌", "受伤", "住院", "城关第一中学", "县教育局"))
    assert all(word in food for word in ("食堂", "食物中毒", "学生", "呕吐"))


def test_script_plays_fast_in_order_and_stops_when_told() -> None:
    board = SampleBoard.with_seed()
    before = len(board.posts("baixing")) + len(board.posts("tousu"))
    DemoScript.default().play(board, speed=600, stop_event=threading.Event())  # 60 s → 0.1 s
    newest = [p.title for p in board.posts("baixing")[:2]] + [board.posts("tousu")[0].title]
    script_titles = [p.title for p in DemoScript.default().posts]
    assert len(board.posts("baixing")) + len(board.posts("tousu")) == before + 3
    assert newest == [script_titles[1], script_titles[0], script_titles[2]]

    stopped = threading.Event()
    stopped.set()
    DemoScript([ScriptedPost(5, "baixing", "不会出现", "x", "y")]).play(board, stop_event=stopped)
    assert all(p.title != "不会出现" for p in board.posts("baixing"))

    # Stopping mid-way: the first post is out, the stop arrives before the second is due.
    stop = threading.Event()
    script = DemoScript([ScriptedPost(0, "tousu", "先出现", "x"), ScriptedPost(30, "tousu", "后出现", "x")])
    player = threading.Thread(target=script.play, args=(board,), kwargs={"stop_event": stop})
    player.start()
    threading.Timer(0.2, stop.set).start()
    player.join(timeout=5)
    assert not player.is_alive()
    titles = [p.title for p in board.posts("tousu")]
    assert "先出现" in titles and "后出现" not in titles


def test_the_narration_uses_the_configured_names_and_no_post_numbers(caplog: pytest.LogCaptureFixture) -> None:
    from config.demo import example_config_dir
    from config.loader import load_config
    from yuqing.demo.runner import board_names

    names = board_names(load_config(example_config_dir()))
    assert names == {"baixing": "百姓呼声（示例）", "tousu": "投诉直通车（示例，GBK 编码）"}
    board = SampleBoard.with_seed()
    with caplog.at_level(logging.INFO, logger="yuqing.demo"):
        DemoScript.default().play(board, speed=600, stop_event=threading.Event(), names=names)
    said = [r.getMessage() for r in caplog.records if "出现新帖" in r.getMessage()]
    food = DemoScript.default().posts[2]
    assert f"演示：示例论坛「投诉直通车（示例，GBK 编码）」出现新帖《{food.title}》" in said, said
    assert len(said) == 3 and not any(re.search(r"\d{3,}", line) for line in said), said  # no post number


def test_script_rejects_unknown_boards_up_front() -> None:
    with pytest.raises(ValueError, match="board"):
        DemoScript([ScriptedPost(1, "nope", "t", "c")])
    with pytest.raises(ValueError, match="speed"):
        DemoScript([]).play(SampleBoard(), speed=0, stop_event=threading.Event())


def _gbk_safe(text: str) -> bool:
    try:
        text.encode("gbk")
    except UnicodeEncodeError:
        return False
    return True


# Words of the example's 重大 schemes (校园欺凌, 校园食品安全, 安全事故), kept here as a plain check of the seed.
_BULLYING = (("学生", "学校", "中学", "小学", "同学", "孩子"), ("欺凌", "霸凌", "殴打", "围殴", "被打", "打伤"))
_FOOD = (("食堂", "饭菜", "午餐", "营养餐"), ("食物中毒", "中毒", "呕吐", "腹泻", "变质", "发霉", "异物"))
_ACCIDENT = ("坠楼", "溺亡", "溺水", "火灾", "爆炸", "坍塌", "倒塌", "踩踏", "触电", "死亡", "身亡", "重伤")


def _major(text: str) -> bool:
    def both(groups: tuple[tuple[str, ...], tuple[str, ...]]) -> bool:
        return all(any(word in text for word in group) for group in groups)

    return both(_BULLYING) or both(_FOOD) or any(word in text for word in _ACCIDENT)
