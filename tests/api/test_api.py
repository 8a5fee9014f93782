"""The API over real stores: search, incidents and their actions, the SSE feed, errors as clear 4xx."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from alerting.incidents.models import TimelineEntry
from alerting.operations import check_sources
from api.state import ApiState
from sources.runs import CrawlRun, record_run
from store.mentions import NewMention, OfficialReply
from store.workflow import make_engine, make_session_factory
from store.workflow.db import utcnow

REPO = Path(__file__).resolve().parents[2]
POSTS = [
    ("1", "城关第一中学学生被殴打住院", "城关一中初二学生被多名同学围殴，头部受伤住院。"),
    ("2", "学校乱收费资料费", "城关镇中心小学班主任强制收取资料费。"),
    ("3", "<script>alert('xss')</script>学生被打", "<b>加粗</b> 城关一中学生被殴打受伤住院"),
    ("4", "感谢镇政府修好路灯", "工作人员认真负责，点赞。"),
]


@pytest.fixture
def world(app_world: Any) -> Any:
    world = app_world()
    world.add_posts(
        NewMention(source="demo-baixing", post_id=p, url=f"http://board/t/{p}", title=t, content=c, unit="county")
        for p, t, c in POSTS
    )
    world.run_rules("demo-baixing:1")
    return world


@pytest.fixture
def app(world: Any) -> FastAPI:
    app: FastAPI = world.app(feed_poll_seconds=0.1)
    return app


@pytest.fixture
def client(app: FastAPI, grant: Any) -> TestClient:
    return grant(app, "admin", "admin", display_name="管理员")


def test_healthz(app: FastAPI) -> None:
    body = TestClient(app).get("/healthz").json()  # for load balancers: no sign-in
    assert body == {"status": "ok", "mentions": 4, "analysis_backlog": 0, "problems": []}


def test_healthz_tells_a_full_disk_with_503_and_the_reason(
    app: FastAPI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app.state.yuqing.data_dir = tmp_path

    def full(self: Path, data: bytes) -> int:
        raise OSError(28, "No space left on device", str(self))

    monkeypatch.setattr(Path, "write_bytes", full)
    answer = TestClient(app).get("/healthz")
    assert answer.status_code == 503
    body = answer.json()
    assert body["status"] == "failing" and [p["kind"] for p in body["problems"]] == ["disk"]
    assert body["problems"][0]["reason"].startswith(f"数据目录 {tmp_path} 无法写入")


def test_search_words_filters_and_aggregations(client: TestClient) -> None:
    body = client.get("/api/v1/mentions", params={"q": "殴打", "histogram": "day"}).json()
    assert body["total"] == 2
    assert {h["id"] for h in body["hits"]} == {"demo-baixing:1", "demo-baixing:3"}
    assert sum(b["count"] for b in body["aggregations"]["volume"]) == 2
    assert {b["key"]: b["count"] for b in body["aggregations"]["schemes"]}["school-bullying"] == 2
    body = client.get("/api/v1/mentions", params={"sentiment": "positive"}).json()
    assert [h["id"] for h in body["hits"]] == ["demo-baixing:4"]
    body = client.get("/api/v1/mentions", params={"min_level": 3}).json()
    assert body["total"] == 2 and all(h["level_name"] == "重大" for h in body["hits"])
    # Hostile text comes back as data, exactly as posted (escaping is the renderer's job).
    hostile = client.get("/api/v1/mentions/demo-baixing:3").json()
    assert hostile["title"].startswith("<script>")


def test_a_post_comes_with_the_official_reply(world: Any, client: TestClient) -> None:
    reply = OfficialReply("已责令学校退费。", "县教育局", datetime(2026, 3, 6, 6, 5, tzinfo=UTC))
    world.store.upsert_many(  # as a crawl would (the API's state offers search only)
        [NewMention("demo-baixing", "2", "http://board/t/2", POSTS[1][1], POSTS[1][2], official_reply=reply)]
    )
    body = client.get("/api/v1/mentions/demo-baixing:2").json()
    assert body["official_reply"] == {
        "text": "已责令学校退费。",
        "unit": "县教育局",
        "replied_at": "2026-03-06T06:05:00Z",
    }
    assert client.get("/api/v1/mentions/demo-baixing:1").json()["official_reply"] is None


def test_a_units_other_names_are_searched_too(client: TestClient) -> None:
    full = client.get("/api/v1/mentions", params={"q": "城关第一中学"}).json()
    assert {h["id"] for h in full["hits"]} == {"demo-baixing:1", "demo-baixing:3"}  # 3 says only 城关一中
    short = client.get("/api/v1/mentions", params={"q": "县一中 住院"}).json()  # another alias, with a word
    assert {h["id"] for h in short["hits"]} == {"demo-baixing:1", "demo-baixing:3"}
    assert {h["id"] for h in client.get("/api/v1/mentions", params={"q": '"县一中"'}).json()["hits"]} == set()


def test_search_paging(client: TestClient) -> None:
    first = client.get("/api/v1/mentions", params={"size": 3}).json()
    assert len(first["hits"]) == 3 and first["next_cursor"]
    second = client.get("/api/v1/mentions", params={"size": 3, "cursor": first["next_cursor"]}).json()
    assert len(second["hits"]) == 1 and second["next_cursor"] is None
    ids = [h["id"] for h in first["hits"] + second["hits"]]
    assert sorted(ids) == sorted(f"demo-baixing:{p[0]}" for p in POSTS)


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"size": 0}, 422),
        ({"size": 100000}, 422),
        ({"min_level": 9}, 422),
        ({"sentiment": "angry"}, 422),
        ({"since": "yesterday"}, 422),
        ({"since": "2026-01-01T00:00:00"}, 422),  # no timezone
        ({"cursor": "not-a-cursor"}, 422),
        ({"q": '"(NOT'}, 422),  # an unclosed quote: said where (see test_query_syntax_errors_say_where)
        ({"q": "NOT 打人"}, 422),  # only subtracts: nothing to subtract from
        ({"unit": "x" * 101}, 422),
        ({"since": "2026-02-01T00:00:00+08:00", "until": "2026-01-01T00:00:00+08:00"}, 422),
    ],
)
def test_search_bad_parameters_are_4xx(client: TestClient, params: dict[str, object], status: int) -> None:
    assert client.get("/api/v1/mentions", params=params).status_code == status


def test_incident_list_detail_acknowledge_report_close(client: TestClient) -> None:
    incidents = client.get("/api/v1/incidents").json()
    assert len(incidents) == 2  # two major bullying posts, two incidents (no event grouping yet)
    incident = next(i for i in incidents if i["title"] == POSTS[0][1])
    assert incident["level_name"] == "重大" and incident["stage_name"] == "研判"
    assert incident["unit_name"] == "城关第一中学" and incident["source_name"] == "百姓呼声（示例）"
    open_list = client.get("/api/v1/incidents", params={"open_only": True}).json()
    dues = [i["report_due_at"] for i in open_list]
    assert dues == sorted(dues)  # the duty board shows the nearest deadline first
    assert 0 < incident["seconds_to_deadline"] <= 30 * 60
    detail = client.get(f"/api/v1/incidents/{incident['id']}").json()
    assert [t["action"] for t in detail["timeline"]] == ["discovered", "opened"]
    assert len(detail["deliveries"]) == 5 and all(d["status"] == "pending" for d in detail["deliveries"])
    assert any("校园欺凌" in line for line in detail["explanation"])
    # The 为何预警 panel reads the level with the facts and their words first, the tone last and apart.
    why = detail["explanation"]
    assert why[0].startswith("风险：重大") and "依据事实：" in why[0] and "暴力伤害（" in why[0]
    assert why[-1].startswith("情感（仅供参考，不参与定级）：")

    acked = client.post(f"/api/v1/incidents/{incident['id']}/acknowledge").json()
    assert (
        acked["acknowledged_at"] and acked["timeline"][-1]["actor"] == "管理员"
    )  # by name: the login is the audit log's
    bad = client.post(
        f"/api/v1/incidents/{incident['id']}/report",
        json={"channel": "飞鸽", "summary": "x"},
    )
    assert bad.status_code == 422
    reported = client.post(
        f"/api/v1/incidents/{incident['id']}/report",
        json={"actor": "王书记", "reported_to": "县委宣传部", "channel": "电话", "summary": "已电话报告"},
    ).json()
    assert reported["reported_at"] and reported["stage"] == "handle"
    again = client.post(
        f"/api/v1/incidents/{incident['id']}/report",
        json={"actor": "王书记", "channel": "电话", "summary": "again"},
    )
    assert again.status_code == 409
    closed = client.post(f"/api/v1/incidents/{incident['id']}/close", json={"actor": "王书记", "summary": "已处置"})
    assert closed.json()["stage_name"] == "结案"
    open_ids = [i["id"] for i in client.get("/api/v1/incidents", params={"open_only": True}).json()]
    assert incident["id"] not in open_ids
    assert client.get("/api/v1/incidents/99999").status_code == 404
    assert client.post("/api/v1/incidents/99999/acknowledge").status_code == 404


def test_sources_health_lists_configured_sources(app: FastAPI, client: TestClient) -> None:
    body = client.get("/api/v1/sources").json()
    assert {s["source"] for s in body} == {"demo-baixing", "demo-tousu"}
    assert all(s["alerts"] == [] and s["last_parse_failure_rate"] is None for s in body)
    state: ApiState = app.state.yuqing
    now = utcnow()
    with state.sessions.begin() as session:
        for n, (ok, items, failures) in enumerate([(True, 10, 0), (True, 1, 9)]):
            at = now + timedelta(seconds=n)
            run = CrawlRun(source="demo-baixing", started_at=at, finished_at=at, ok=ok, finish_reason="finished")
            run.pages, run.items, run.new_items, run.errors, run.parse_failures = 3, items, 0, 0, failures
            record_run(session, run)
        check_sources(session, state.config, now=now + timedelta(minutes=1))
    baixing = next(s for s in client.get("/api/v1/sources").json() if s["source"] == "demo-baixing")
    assert baixing["last_parse_failure_rate"] == 0.9 and baixing["total_parse_failures"] == 9
    assert [a["kind"] for a in baixing["alerts"]] == ["parsing"] and "页面结构可能已改版" in baixing["alerts"][0][
        "detail"
    ]


def test_dashboard_pages_are_served_and_render_text_safely(app: FastAPI, client: TestClient) -> None:
    browser = TestClient(app)
    pages = ("/", "/incidents/1", "/search", "/sources")
    for path in pages:
        assert browser.get(path, follow_redirects=False).headers["location"] == f"/login?next={path}"
    _login(app, browser)
    static = REPO / "api" / "static"
    for path in pages:
        page = browser.get(path)
        assert page.status_code == 200 and "舆情" in page.text
        assert "http://" not in page.text.replace("http://www.w3.org", "")  # nothing from outside
        assert "<script>" not in page.text  # no inline script: the policy below allows none
        policy = page.headers["content-security-policy"]
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy
        for asset in re.findall(r'(?:src|href)="/static/([^"]+)"', page.text):
            assert (static / asset).is_file() and browser.get(f"/static/{asset}").status_code == 200, asset
    scripts = sorted(static.glob("*.js"))
    assert len(scripts) >= 6
    for script in scripts:
        served = client.get(f"/static/{script.name}")
        assert served.status_code == 200 and served.headers["content-type"].startswith("application/javascript")
        # Crawled text is hostile: the dashboard only ever sets textContent or builds nodes.
        for markup_sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "Function("):
            assert markup_sink not in served.text, (script.name, markup_sink)
    assert client.get("/static/../app.py").status_code == 404
    assert client.get("/static/board.html").status_code == 404  # pages only behind login
    assert client.get("/openapi.json").json()["info"]["title"].startswith("Yuqing")


def test_labels_name_units_sources_and_schemes_within_scope(app: FastAPI, grant: Any) -> None:
    body = grant(app, "li", "commentator", "school-no1").get("/api/v1/labels").json()
    assert [u["id"] for u in body["units"]] == ["school-no1"]
    assert {"id": "demo-baixing", "name": "百姓呼声（示例）"} in body["sources"]
    assert {"id": "school-bullying", "name": "校园欺凌"} in body["schemes"]
    assert TestClient(app).get("/api/v1/labels").status_code == 401


def _login(app: FastAPI, browser: TestClient) -> None:
    from store.workflow.db import utcnow
    from web.access.service import set_password

    with app.state.yuqing.sessions.begin() as session:
        set_password(session, name="admin", password="correct horse battery", actor="test", now=utcnow())
    form = browser.get("/login").text
    csrf = form.split("name='csrf_token' value='")[1].split("'")[0]
    done = browser.post(
        "/login",
        data={"name": "admin", "password": "correct horse battery", "csrf_token": csrf, "next": "/"},
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text


def test_live_feed_pushes_new_timeline_entries(
    app: FastAPI, client: TestClient, serve: Callable[[FastAPI], str]
) -> None:
    base = serve(app)
    events: list[dict[str, object]] = []
    with httpx.Client(base_url=base, timeout=10, headers=client.headers) as http:
        incident_id = http.get("/api/v1/incidents").json()[0]["id"]
        with http.stream("GET", "/api/v1/feed") as stream:
            lines = stream.iter_lines()
            assert next(lines).startswith("retry:")
            # An action taken after the client connected arrives on the stream.
            http.post(f"/api/v1/incidents/{incident_id}/acknowledge")
            deadline = time.monotonic() + 10
            for line in lines:
                if line.startswith("data:") and '"action"' in line:
                    events.append(json.loads(line[5:]))
                    break
                assert time.monotonic() < deadline
        # A dashboard opening now first gets the most recent events.
        with http.stream("GET", "/api/v1/feed", params={"backlog": 2}) as stream:
            recent = [json.loads(x[5:]) for x in _take_data(stream.iter_lines(), 2)]
        # Reconnecting after an id replays what came later, nothing before.
        with http.stream("GET", "/api/v1/feed", params={"after": 0}) as stream:
            replay = [json.loads(x[5:]) for x in _take_data(stream.iter_lines(), 3)]
    assert events and events[0]["action"] == "acknowledged" and events[0]["actor"] == "管理员"
    assert [e["action"] for e in replay] == ["discovered", "opened", "discovered"]
    assert [e["action"] for e in recent] == ["opened", "acknowledged"]


def test_an_entry_read_while_the_stream_checks_its_reader_still_wakes_it(
    app: FastAPI, client: TestClient, serve: Callable[[FastAPI], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A loaded server: the stream finds nothing new, then resolves its reader again (slow), and meanwhile the hub
    reads a new entry and wakes its streams. The stream must not then sleep until the keep-alive (15 s): it once
    took the hub's wake-up event only after that check, missed it, and a dashboard saw the action 15 s late."""
    from api.routes import feed as feed_module

    state: ApiState = app.state.yuqing
    state.feed_poll_seconds = 600.0  # pushed, not polled
    slow = threading.Event()
    resolve = feed_module.resolve

    def slow_resolve(*args: Any, **kwargs: Any) -> Any:
        if not slow.is_set():  # the stream's first check: long enough for the action to be read meanwhile
            slow.set()
            time.sleep(1.5)
        return resolve(*args, **kwargs)

    monkeypatch.setattr(feed_module, "resolve", slow_resolve)
    base = serve(app)
    with httpx.Client(base_url=base, timeout=8, headers=client.headers) as http:
        incident_id = http.get("/api/v1/incidents").json()[0]["id"]
        with http.stream("GET", "/api/v1/feed") as stream:
            lines = stream.iter_lines()
            assert next(lines).startswith("retry:")
            assert slow.wait(5)
            http.post(f"/api/v1/incidents/{incident_id}/acknowledge")
            started = time.monotonic()
            action = next(json.loads(line[5:]) for line in lines if line.startswith("data:") and '"action"' in line)
    assert action["action"] == "acknowledged"
    assert time.monotonic() - started < 5


def test_the_feed_is_pushed_not_polled(app: FastAPI, client: TestClient, serve: Callable[[FastAPI], str]) -> None:
    """With the fallback poll far away, an action taken through the API (this process) and a timeline entry
    committed through another engine (as the scheduler's process does) both reach an open stream."""
    state: ApiState = app.state.yuqing
    state.feed_poll_seconds = 600.0
    url = str(state.sessions.kw["bind"].url)
    base = serve(app)
    actions: list[str] = []
    other = make_engine(url)
    try:
        with httpx.Client(base_url=base, timeout=10, headers=client.headers) as http:
            incident_id = http.get("/api/v1/incidents").json()[0]["id"]
            with http.stream("GET", "/api/v1/feed") as stream:
                lines = stream.iter_lines()
                assert next(lines).startswith("retry:")
                http.post(f"/api/v1/incidents/{incident_id}/acknowledge")
                actions += [json.loads(x[5:])["action"] for x in _take_data(lines, 1)]
                with make_session_factory(other).begin() as session:
                    session.add(TimelineEntry(incident_id=incident_id, actor="系统", action="note", detail="另一进程"))
                actions += [json.loads(x[5:])["action"] for x in _take_data(lines, 1)]
    finally:
        other.dispose()
    assert actions == ["acknowledged", "note"]


def _take_data(lines: Iterator[str], count: int) -> list[str]:
    out: list[str] = []
    for line in lines:
        if line.startswith("data:") and '"action"' in line:
            out.append(line)
            if len(out) == count:
                break
    return out


def test_deadline_countdown_is_computed_from_now(app: FastAPI, client: TestClient) -> None:
    state: ApiState = app.state.yuqing
    base = state.now()
    state.now = lambda: base + timedelta(minutes=31)
    incidents = client.get("/api/v1/incidents").json()
    assert all(i["seconds_to_deadline"] < 0 for i in incidents)


def test_an_open_feed_ends_when_its_user_is_disabled(
    app: FastAPI, client: TestClient, grant: Any, serve: Callable[[FastAPI], str]
) -> None:
    state: ApiState = app.state.yuqing
    state.feed_recheck_seconds = 0.3
    reader = grant(app, "li", "commentator", "school-no1")
    base = serve(app)
    seen: list[str] = []
    with (
        httpx.Client(base_url=base, timeout=10, headers=reader.headers) as http,
        http.stream("GET", "/api/v1/feed") as stream,
    ):
        lines = stream.iter_lines()
        assert next(lines).startswith("retry:")
        assert client.post("/api/v1/users/li/disable").status_code == 200
        seen = list(lines)  # the server ends the stream by itself
    assert "event: bye" in seen
    assert client.get("/api/v1/feed", params={"after": 2**64}).status_code == 422


def test_a_revocation_before_the_streams_baseline_is_read_still_ends_it(
    app: FastAPI, client: TestClient, grant: Any, serve: Callable[[FastAPI], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a loaded server the request's credentials are resolved, then the revocation commits, then the stream
    reads its first access fingerprint: both look "unchanged" afterwards, so the stream must resolve once more after
    that first read (this once sent the next event of a revoked reader)."""
    from web.access import watch as watch_module
    from web.access.models import ApiToken

    state: ApiState = app.state.yuqing
    state.feed_poll_seconds = ApiState.feed_poll_seconds
    reader = grant(app, "li", "commentator", "county-edu")
    school_case = next(i["id"] for i in client.get("/api/v1/incidents").json() if i["unit"] == "school-no1")
    token_id = client.get("/api/v1/users/li/tokens").json()[0]["id"]
    first_read = watch_module.fingerprint

    def revoked_first(state: ApiState) -> str:
        with state.sessions() as session, session.begin():
            token = session.get(ApiToken, token_id)
            assert token is not None
            if token.revoked_at is None:
                token.revoked_at = utcnow()
        return first_read(state)

    monkeypatch.setattr(watch_module, "fingerprint", revoked_first)
    base = serve(app)
    with (
        httpx.Client(base_url=base, timeout=30, headers=reader.headers) as http,
        http.stream("GET", "/api/v1/feed") as stream,
    ):
        lines = stream.iter_lines()
        assert next(lines).startswith("retry:")
        assert client.post(f"/api/v1/incidents/{school_case}/notes", json={"text": "内部处置意见"}).status_code == 200
        seen = list(lines)
    assert "event: bye" in seen and not any("内部处置意见" in line for line in seen), seen
    assert any("signed out" in line for line in seen)


@pytest.mark.parametrize("change", ["unit", "revoke", "disable"])
def test_an_open_feed_follows_its_users_current_scope(
    app: FastAPI, client: TestClient, grant: Any, change: str, serve: Callable[[FastAPI], str]
) -> None:
    """With the default recheck: after a unit change no event of the old unit is sent and the stream ends;
    after a revocation or disabling it ends too. The read timeout only bounds a hang: the 1-second recheck is a
    design figure, not asserted here, since a loaded machine may stretch it."""
    state: ApiState = app.state.yuqing
    state.feed_poll_seconds = ApiState.feed_poll_seconds  # the defaults, not the fixture's fast poll
    reader = grant(app, "li", "commentator", "county-edu")
    school_case = next(i["id"] for i in client.get("/api/v1/incidents").json() if i["unit"] == "school-no1")
    token_id = client.get("/api/v1/users/li/tokens").json()[0]["id"]
    base = serve(app)
    seen: list[str] = []
    with (
        httpx.Client(base_url=base, timeout=30, headers=reader.headers) as http,
        http.stream("GET", "/api/v1/feed") as stream,
    ):
        lines = stream.iter_lines()
        assert next(lines).startswith("retry:")
        if change == "unit":
            assert client.patch("/api/v1/users/li", json={"unit": "town-chengguan"}).status_code == 200
        elif change == "revoke":
            assert client.delete(f"/api/v1/users/li/tokens/{token_id}").status_code == 200
        else:
            assert client.post("/api/v1/users/li/disable").status_code == 200
        # An event of the old unit, written right after the change: it must never reach this stream.
        assert client.post(f"/api/v1/incidents/{school_case}/notes", json={"text": "内部处置意见"}).status_code == 200
        seen = list(lines)  # the server ends the stream by itself (a hang is a ReadTimeout)
    assert "event: bye" in seen and not any("内部处置意见" in line for line in seen), seen
    reason = "scope changed" if change == "unit" else "signed out"
    assert any(reason in line for line in seen)


def test_api_docs_load_nothing_from_outside(client: TestClient) -> None:
    for path in ("/docs", "/redoc"):
        page = client.get(path)
        assert page.status_code == 200
        sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
        assert sources and all(s.startswith("/") for s in sources), sources  # nothing from a CDN
        for asset in sources:
            assert client.get(asset).status_code == 200, asset
