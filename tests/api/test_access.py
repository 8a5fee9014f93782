"""Access control over the real app: roles, unit scopes, tokens, dashboard sessions with CSRF, rate-limited
login, hashes at rest, and the audit trail of every change."""

from __future__ import annotations

import hashlib
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.state import ApiState
from config import load_config
from store.mentions import NewMention
from store.workflow.audit import AuditEntry
from web.access.models import ApiToken, LoginFailure, User
from web.access.scope import unit_scope

REPO = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery"
POSTS = [
    ("1", "城关第一中学学生被殴打住院", "城关一中初二学生被多名同学围殴，头部受伤住院。"),  # school-no1, major
    ("2", "城关镇人民政府门口发生爆炸", "城关镇政府附近工地发生爆炸，两人死亡"),  # town-chengguan, major
]


def _build(make: Any, base_url: str = "http://yq", url: str | None = None) -> FastAPI:
    world = make(workflow_url=url)
    world.add_posts(NewMention("demo-baixing", p, f"http://b/{p}", t, c, unit="county") for p, t, c in POSTS)
    world.run_rules("demo-baixing:1", base_url=base_url)
    app: FastAPI = world.app(base_url=base_url)
    return app


@pytest.fixture
def app(app_world: Any) -> FastAPI:
    return _build(app_world)


@pytest.fixture
def app_on_both(workflow_url: str, app_world: Any) -> FastAPI:  # the database outlives the world
    """The app on SQLite and on the real PostgreSQL server: the access queries run on both."""
    return _build(app_world, url=workflow_url)


def _incident_of(client: TestClient, unit: str) -> int:
    return next(i["id"] for i in client.get("/api/v1/incidents").json() if i["unit"] == unit)


def _login(client: TestClient, name: str, password: str = PASSWORD, next_path: str = "/") -> Any:
    page = client.get("/login")
    csrf = page.text.split("name='csrf_token' value='")[1].split("'")[0]
    return client.post(
        "/login",
        data={"name": name, "password": password, "csrf_token": csrf, "next": next_path},
        follow_redirects=False,
    )


def test_unit_scope_includes_every_unit_below() -> None:
    config = load_config(REPO / "config" / "example")
    assert unit_scope(config, "county-edu") == {"county-edu", "school-no1"}
    assert unit_scope(config, "school-no1") == {"school-no1"}
    assert {"county", "county-edu", "school-no1", "town-chengguan"} <= (unit_scope(config, "county") or set())
    assert unit_scope(config, None) is None


def test_everything_but_health_and_ack_links_needs_credentials(app: FastAPI) -> None:
    anonymous = TestClient(app)
    for path in ("/api/v1/incidents", "/api/v1/mentions", "/api/v1/feed", "/api/v1/sources", "/api/v1/audit"):
        response = anonymous.get(path)
        assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer", path
    bad = TestClient(app, headers={"Authorization": "Bearer yq_not-a-real-token"})
    assert bad.get("/api/v1/incidents").status_code == 401
    assert anonymous.get("/healthz").status_code == 200


@pytest.mark.parametrize(
    ("role", "unit", "allowed", "refused"),
    [
        ("commentator", "school-no1", {"acknowledge", "notes"}, {"report", "advance", "close", "assign", "export"}),
        ("secretary", "school-no1", {"acknowledge", "notes", "report", "advance", "assign", "close"}, {"export"}),
        ("analyst", None, {"export"}, {"acknowledge", "notes", "report", "advance", "close", "assign"}),
        ("admin", None, {"acknowledge", "notes", "report", "advance", "assign", "close", "export"}, set()),
    ],
)
def test_role_permissions(
    app: FastAPI, grant: Any, role: str, unit: str | None, allowed: set[str], refused: set[str]
) -> None:
    client = grant(app, f"u-{role}", role, unit)
    incident = _incident_of(client, "school-no1")
    bodies = {
        "acknowledge": {},
        "notes": {"text": "已在论坛回复"},
        "assign": {"user": f"u-{role}"} if role != "analyst" else {"user": None},
        "advance": {},
        "report": {"channel": "电话", "summary": "已电话报告"},
        "close": {"summary": "已处置"},
    }
    for action, body in bodies.items():  # in this order every allowed step is valid for the stage
        status = client.post(f"/api/v1/incidents/{incident}/{action}", json=body).status_code
        if action in allowed:
            assert status == 200, (role, action, status)
        else:
            assert status == 403, (role, action, status)
    export = client.get("/api/v1/mentions/export").status_code
    assert export == (200 if "export" in allowed else 403)
    assert client.get("/api/v1/users").status_code == (200 if role == "admin" else 403)
    assert client.get(f"/api/v1/incidents/{incident}").status_code == 200  # everyone here may read it


def test_a_unit_sees_its_own_cases_and_those_below(app: FastAPI, grant: Any) -> None:
    admin = grant(app, "root", "admin")
    school = grant(app, "li", "secretary", "school-no1")
    bureau = grant(app, "edu", "secretary", "county-edu")
    town = grant(app, "zhen", "commentator", "town-chengguan")
    school_case, town_case = _incident_of(admin, "school-no1"), _incident_of(admin, "town-chengguan")
    assert {i["unit"] for i in school.get("/api/v1/incidents").json()} == {"school-no1"}
    assert {i["unit"] for i in bureau.get("/api/v1/incidents").json()} == {"school-no1"}  # its school
    assert {i["unit"] for i in town.get("/api/v1/incidents").json()} == {"town-chengguan"}
    # Another unit's case is not found (its existence does not leak) and cannot be acted on.
    assert school.get(f"/api/v1/incidents/{town_case}").status_code == 404
    assert school.post(f"/api/v1/incidents/{town_case}/acknowledge").status_code == 404
    assert town.get(f"/api/v1/incidents/{school_case}").status_code == 404
    assert school.get("/api/v1/incidents", params={"unit": "town-chengguan"}).status_code == 403
    # Searches are limited the same way.
    assert {h["unit"] for h in school.get("/api/v1/mentions").json()["hits"]} == {"school-no1"}
    assert school.get("/api/v1/mentions", params={"unit": "town-chengguan"}).status_code == 403
    assert school.get("/api/v1/mentions/demo-baixing:2").status_code == 404
    assert admin.get("/api/v1/mentions").json()["total"] == 2
    # An assignee must be able to see the case; the list the page offers holds exactly those, by name and role.
    offered = bureau.get(f"/api/v1/incidents/{school_case}/assignees").json()
    assert {u["name"] for u in offered} == {"root", "li", "edu"}  # not zhen, the town's commentator
    li = next(u for u in offered if u["name"] == "li")
    assert (li["role_name"], li["unit_name"]) == ("书记", "城关第一中学")
    assert next(u for u in offered if u["name"] == "root")["unit_name"] == "全部单位"
    assert town.get(f"/api/v1/incidents/{school_case}/assignees").status_code in (403, 404)
    refused = bureau.post(f"/api/v1/incidents/{school_case}/assign", json={"user": "zhen"})
    assert refused.status_code == 422
    assigned = bureau.post(f"/api/v1/incidents/{school_case}/assign", json={"user": "li"}).json()
    assert assigned["assigned_to"] == "li" and assigned["timeline"][-1]["action"] == "assigned"
    assert [i["id"] for i in admin.get("/api/v1/incidents", params={"assigned_to": "li"}).json()] == [school_case]


def test_tokens_and_passwords_are_stored_only_as_hashes(app: FastAPI, grant: Any) -> None:
    admin = grant(app, "root", "admin")
    created = admin.post(
        "/api/v1/users", json={"name": "li", "role": "secretary", "unit": "school-no1", "password": PASSWORD}
    )
    assert created.status_code == 201, created.text
    token = admin.post("/api/v1/users/li/tokens", json={"label": "脚本"}).json()
    assert token["token"].startswith("yq_") and token["prefix"] == token["token"][:10]
    with app.state.yuqing.sessions() as session:
        user = session.scalars(select(User).where(User.name == "li")).one()
        stored = session.scalars(select(ApiToken).where(ApiToken.id == token["id"])).one()
    assert user.password_hash and user.password_hash.startswith("$argon2id$") and PASSWORD not in user.password_hash
    assert stored.token_hash == hashlib.sha256(token["token"].encode()).hexdigest()
    li = TestClient(app, headers={"Authorization": f"Bearer {token['token']}"})
    assert li.get("/api/v1/auth/me").json()["units"] == ["school-no1"]
    # Revoked tokens and disabled users stop working at once.
    assert admin.delete(f"/api/v1/users/li/tokens/{token['id']}").json()["revoked"] is True
    assert li.get("/api/v1/incidents").status_code == 401
    second = admin.post("/api/v1/users/li/tokens", json={}).json()["token"]
    li = TestClient(app, headers={"Authorization": f"Bearer {second}"})
    assert li.get("/api/v1/incidents").status_code == 200
    admin.post("/api/v1/users/li/disable")
    assert li.get("/api/v1/incidents").status_code == 401
    assert admin.post("/api/v1/users/root/disable").status_code == 409  # not your own account
    # Bad input is a clear 4xx.
    assert admin.post("/api/v1/users", json={"name": "x y", "role": "admin"}).status_code == 422
    assert admin.post("/api/v1/users", json={"name": "ok", "role": "secretary"}).status_code == 422  # no unit
    assert admin.post("/api/v1/users", json={"name": "ok", "role": "admin", "password": "short"}).status_code == 422
    assert admin.post("/api/v1/users", json={"name": "ok", "role": "analyst", "unit": "nowhere"}).status_code == 422
    assert admin.post("/api/v1/users", json={"name": "li", "role": "analyst"}).status_code == 409
    assert admin.post("/api/v1/users/ghost/tokens", json={}).status_code == 404


def test_dashboard_session_cookie_and_csrf(app: FastAPI, grant: Any) -> None:
    grant(app, "li", "secretary", "school-no1", password=PASSWORD)
    browser = TestClient(app)
    assert browser.get("/incidents/1", follow_redirects=False).headers["location"] == "/login?next=/incidents/1"
    # The login form needs its own double-submit token: a cross-site form cannot sign a browser in.
    forged = browser.post(
        "/login", data={"name": "li", "password": PASSWORD, "csrf_token": "x"}, follow_redirects=False
    )
    assert forged.status_code == 403 and "yuqing_session" not in forged.cookies
    done = _login(browser, "li", next_path="//evil.example/")
    assert done.status_code == 303 and done.headers["location"] == "/"  # no open redirect
    cookies = done.headers.get_list("set-cookie")
    session_cookie = next(c for c in cookies if c.startswith("yuqing_session="))
    assert "HttpOnly" in session_cookie and "SameSite=lax" in session_cookie and "Secure" not in session_cookie
    assert all("HttpOnly" in c for c in cookies if "=;" not in c and "Max-Age=0" not in c)  # no script reads any
    me = browser.get("/api/v1/auth/me").json()
    assert me["via"] == "session" and me["role"] == "secretary" and me["csrf_token"]
    assert browser.get("/").status_code == 200
    incident = _incident_of(browser, "school-no1")
    # A state-changing request on the cookie alone is refused; with the session's token it goes through.
    assert browser.post(f"/api/v1/incidents/{incident}/acknowledge").status_code == 403
    wrong = {"X-CSRF-Token": "guess"}
    assert browser.post(f"/api/v1/incidents/{incident}/acknowledge", headers=wrong).status_code == 403
    ok = browser.post(f"/api/v1/incidents/{incident}/acknowledge", headers={"X-CSRF-Token": me["csrf_token"]})
    assert ok.status_code == 200
    assert browser.post("/logout", data={"csrf_token": "guess"}).status_code == 403
    out = browser.post("/logout", data={"csrf_token": me["csrf_token"]}, follow_redirects=False)
    assert out.status_code == 303
    browser.cookies.set("yuqing_session", session_cookie.split(";")[0].split("=", 1)[1])  # an old cookie replayed
    assert browser.get("/api/v1/auth/me").status_code == 401


def test_secure_cookie_behind_https(app_world: Any, grant: Any) -> None:
    app = _build(app_world, base_url="https://yuqing.example.cn")
    grant(app, "li", "secretary", "school-no1", password=PASSWORD)
    browser = TestClient(app, base_url="https://testserver")
    form = browser.get("/login")
    # The login form's cookie is __Host-: Secure, Path=/, no Domain — no other origin of the host can set it.
    [login_cookie] = [c for c in form.headers.get_list("set-cookie") if "login_csrf" in c]
    assert login_cookie.startswith("__Host-yuqing_login_csrf=") and "Path=/;" in login_cookie
    assert "Secure" in login_cookie and "HttpOnly" in login_cookie and "Domain" not in login_cookie
    done = _login(browser, "li")
    assert done.status_code == 303
    assert all("Secure" in c for c in done.headers.get_list("set-cookie") if "yuqing_" in c)
    app.state.yuqing.mentions.close()


def test_another_port_of_the_same_host_can_neither_read_nor_use_the_csrf_token(app: FastAPI, grant: Any) -> None:
    """Cookies do not tell ports apart: a page on testserver:8080 sees the host's readable cookies and its
    requests are "same-site". No cookie carries the CSRF token, and requests from another origin are refused."""
    grant(app, "li", "secretary", "school-no1", password=PASSWORD)
    browser = TestClient(app)
    done = _login(browser, "li")
    readable = [c for c in done.headers.get_list("set-cookie") if "HttpOnly" not in c and "Max-Age=0" not in c]
    assert readable == []
    token = browser.get("/api/v1/auth/me").json()["csrf_token"]
    incident = _incident_of(browser, "school-no1")
    other_port = {"X-CSRF-Token": token, "Origin": "http://testserver:8080"}
    assert (
        browser.post(f"/api/v1/incidents/{incident}/notes", json={"text": "x"}, headers=other_port).status_code == 403
    )
    site = {"X-CSRF-Token": token, "Sec-Fetch-Site": "same-site"}
    assert browser.post(f"/api/v1/incidents/{incident}/notes", json={"text": "x"}, headers=site).status_code == 403
    own = {"X-CSRF-Token": token, "Origin": "http://testserver"}
    assert browser.post(f"/api/v1/incidents/{incident}/notes", json={"text": "x"}, headers=own).status_code == 200
    # Nor can another port sign this browser in (as the attacker) with a form of its own.
    other = TestClient(app)
    csrf = other.get("/login").text.split("name='csrf_token' value='")[1].split("'")[0]
    forged = other.post(
        "/login",
        data={"name": "li", "password": PASSWORD, "csrf_token": csrf},
        headers={"Origin": "http://testserver:8080"},
        follow_redirects=False,
    )
    assert forged.status_code == 403 and "yuqing_session" not in forged.cookies
    out = browser.post("/logout", data={"csrf_token": token}, headers={"Origin": "http://testserver:8080"})
    assert out.status_code == 403


@pytest.mark.parametrize(
    "path", ["/login", "/", "/healthz", "/api/v1/incidents", "/ack/1/x/y", "/docs", "/static/app.css", "/nowhere"]
)
def test_no_page_can_be_framed(app: FastAPI, grant: Any, path: str) -> None:
    response = grant(app, "root", "admin").get(path, follow_redirects=False)
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"], path
    assert response.headers["x-frame-options"] == "DENY"


def test_login_is_rate_limited_per_name_and_address(app_on_both: FastAPI, grant: Any) -> None:
    app = app_on_both
    grant(app, "li", "secretary", "school-no1", password=PASSWORD)
    browser = TestClient(app)
    for _ in range(5):
        assert _login(browser, "li", "wrong password!").status_code == 401
    locked = _login(browser, "li")  # even the right password waits out the lockout
    assert locked.status_code == 429 and 1 <= int(locked.headers["retry-after"]) <= 15 * 60 + 1
    assert "登录失败次数过多" in locked.text
    state: ApiState = app.state.yuqing
    base = state.now()
    state.now = lambda: base + timedelta(minutes=16)  # the window has passed
    assert _login(browser, "li").status_code == 303
    with state.sessions() as session:
        assert session.scalars(select(LoginFailure).where(LoginFailure.name == "li")).all() == []
    # One address trying many names is stopped too (20 failures in the window).
    for i in range(20):
        assert _login(browser, f"nobody{i}", "wrong password!").status_code == 401
    assert _login(browser, "li").status_code == 429


def test_every_change_is_audited(app_on_both: FastAPI, grant: Any) -> None:
    app = app_on_both
    admin = grant(app, "root", "admin", display_name="管理员")
    admin.post("/api/v1/users", json={"name": "li", "role": "secretary", "unit": "school-no1", "password": PASSWORD})
    admin.post("/api/v1/users/li/tokens", json={"label": "x"})
    admin.patch("/api/v1/users/li", json={"unit": "county-edu"})
    incident = _incident_of(admin, "school-no1")
    admin.post(f"/api/v1/incidents/{incident}/notes", json={"text": "已联系学校"})
    admin.post(f"/api/v1/incidents/{incident}/assign", json={"user": "li"})
    _login(TestClient(app), "li", "wrong password!")
    _login(TestClient(app), "li")
    with app.state.yuqing.sessions() as session:
        actions = [(e.actor, e.action) for e in session.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    for expected in [
        ("管理员（root）", "user.create"),
        ("管理员（root）", "token.create"),
        ("管理员（root）", "user.update"),
        ("管理员（root）", "incident.note"),
        ("管理员（root）", "incident.assign"),
        ("li", "login.fail"),
        ("li", "login"),
    ]:
        assert expected in actions
    # The log over the API: admins see everything, a secretary the entries on their units' incidents.
    log = admin.get("/api/v1/audit", params={"action": "incident."}).json()
    assert {e["action"] for e in log} >= {"incident.note", "incident.assign", "incident.open"}
    secretary = grant(app, "zhen", "secretary", "town-chengguan")
    visible = secretary.get("/api/v1/audit").json()
    town_case = _incident_of(admin, "town-chengguan")
    assert visible and {e["target"] for e in visible} == {f"incident:{town_case}"}
    assert grant(app, "ana", "analyst").get("/api/v1/audit").status_code == 403
    assert admin.get("/api/v1/audit", params={"since": "2026-01-01T00:00:00"}).status_code == 422


@pytest.mark.parametrize(
    "body",
    [b"", b"\xff\xfe\x00garbage", b"name=li&" * 5000, b"csrf_token=&name=&password=", b"%%%=%%%"],
)
def test_garbage_login_forms_are_refused_cleanly(app: FastAPI, body: bytes) -> None:
    browser = TestClient(app)
    browser.get("/login")
    response = browser.post("/login", content=body, headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 403 and "页面已过期" in response.text
    assert browser.post("/logout", content=body, follow_redirects=False).status_code == 303  # no session


def test_the_live_feed_carries_only_the_users_units(app: FastAPI, grant: Any) -> None:
    from api.routes.feed import _read_after, _start_id

    state: ApiState = app.state.yuqing
    grant(app, "li", "secretary", "school-no1")
    grant(app, "root", "admin")
    with state.sessions.begin() as session:
        from web.access.service import get_user, principal_of

        li, root = get_user(session, name="li"), get_user(session, name="root")
        assert li is not None and root is not None
        school = principal_of(li, config=state.config, via="token")
        admin = principal_of(root, config=state.config, via="token")

    def units(entries: list[tuple[int, str | None]]) -> set[object]:
        """The incidents' units of the events sent (each event's data line is its JSON payload)."""
        return {json.loads(m.split("\ndata: ", 1)[1])["incident"]["unit"] for _, m in entries if m}

    everything = _read_after(state, 0, admin)
    mine = _read_after(state, 0, school)
    assert units(everything) == {"school-no1", "town-chengguan"}
    assert units(mine) == {"school-no1"}
    assert [i for i, _ in mine] == [i for i, _ in everything]  # the position moves past what is hidden
    # The backlog a scoped dashboard opens with is made of its own units' entries.
    start = _start_id(state, 2, school)
    assert units(_read_after(state, start, school)) == {"school-no1"}


# Who manages whom (docs/access.md). "edu" is an admin of the education bureau (its subtree: county-edu and
# school-no1); "root" is a global admin. Users present in both runs: li (school-no1), zhen (town-chengguan),
# ana (global analyst), and the two admins. Each row: method, path, body, status for edu, status for root.
SCHEME = {"id": "canteen", "name": "食堂", "subject": ["食堂"], "event": ["变质"], "severity": "较大"}
MANAGEMENT: list[tuple[str, str, dict[str, Any] | None, int, int]] = [
    # Creating users: only within the subtree, always with a unit; any role up to its own (admin).
    ("post", "/api/v1/users", {"name": "c1", "role": "commentator", "unit": "school-no1"}, 201, 201),
    ("post", "/api/v1/users", {"name": "c2", "role": "admin", "unit": "county-edu"}, 201, 201),
    ("post", "/api/v1/users", {"name": "c3", "role": "admin"}, 403, 201),  # a global admin
    ("post", "/api/v1/users", {"name": "c4", "role": "analyst"}, 403, 201),  # sees every unit
    ("post", "/api/v1/users", {"name": "c5", "role": "secretary", "unit": "town-chengguan"}, 403, 201),
    ("post", "/api/v1/users", {"name": "c6", "role": "secretary", "unit": "county"}, 403, 201),  # its parent
    # Changing users of the subtree, within the subtree only; never to "every unit".
    ("patch", "/api/v1/users/li", {"display_name": "李书记"}, 200, 200),
    ("patch", "/api/v1/users/li", {"unit": "county-edu"}, 200, 200),
    ("patch", "/api/v1/users/li", {"unit": "town-chengguan"}, 403, 200),
    ("patch", "/api/v1/users/li", {"role": "admin"}, 200, 200),  # a scoped admin of its units
    ("patch", "/api/v1/users/li", {"role": "analyst", "clear_unit": True}, 403, 200),
    # Itself: never global, never a unit above.
    ("patch", "/api/v1/users/edu", {"clear_unit": True}, 403, 200),
    ("patch", "/api/v1/users/edu", {"unit": "county"}, 403, 200),
    # Users outside the subtree do not exist for it.
    ("patch", "/api/v1/users/zhen", {"display_name": "x"}, 404, 200),
    ("patch", "/api/v1/users/root", {"display_name": "x"}, 404, 200),
    ("patch", "/api/v1/users/ana", {"unit": "school-no1"}, 404, 200),
    ("post", "/api/v1/users/zhen/password", {"password": PASSWORD}, 404, 200),
    ("post", "/api/v1/users/li/password", {"password": PASSWORD}, 200, 200),
    ("post", "/api/v1/users/zhen/disable", None, 404, 200),
    ("post", "/api/v1/users/root/enable", None, 404, 200),
    ("post", "/api/v1/users/li/disable", None, 200, 200),
    ("post", "/api/v1/users/li/enable", None, 200, 200),
    # Tokens: only for users of the subtree.
    ("post", "/api/v1/users/zhen/tokens", {}, 404, 201),
    ("post", "/api/v1/users/root/tokens", {}, 404, 201),
    ("post", "/api/v1/users/ana/tokens", {}, 404, 201),
    ("get", "/api/v1/users/root/tokens", None, 404, 200),
    ("post", "/api/v1/users/li/tokens", {}, 201, 201),
    ("get", "/api/v1/users/li/tokens", None, 200, 200),
    # Schemes apply to every unit: global admins only.
    ("post", "/api/v1/schemes", SCHEME, 403, 201),
    ("put", "/api/v1/schemes/canteen", SCHEME, 403, 200),
]


@pytest.mark.parametrize("actor", ["edu", "root"])
def test_who_manages_whom(app: FastAPI, grant: Any, actor: str) -> None:
    clients = {
        "edu": grant(app, "edu", "admin", "county-edu"),
        "root": grant(app, "root", "admin"),
    }
    grant(app, "li", "secretary", "school-no1")
    grant(app, "zhen", "secretary", "town-chengguan")
    grant(app, "ana", "analyst")
    client = clients[actor]
    listed = {u["name"] for u in client.get("/api/v1/users").json()}
    assert listed == ({"edu", "li"} if actor == "edu" else {"edu", "root", "li", "zhen", "ana"})
    for method, path, body, for_edu, for_root in MANAGEMENT:
        kwargs = {"json": body} if body is not None else {}
        response = client.request(method.upper(), path, **kwargs)
        expected = for_edu if actor == "edu" else for_root
        assert response.status_code == expected, (actor, method, path, body, response.text)
        if response.status_code == 403:
            assert any("\u4e00" <= ch <= "\u9fff" for ch in response.json()["detail"]), response.text  # Chinese
    me = client.get("/api/v1/auth/me").json()
    if actor == "edu":  # nothing above let it widen its own view
        assert me["unit"] == "county-edu" and me["units"] == ["county-edu", "school-no1"]


def test_a_scoped_admin_reads_the_audit_of_its_units_and_users(app: FastAPI, grant: Any) -> None:
    root = grant(app, "root", "admin")
    edu = grant(app, "edu", "admin", "county-edu")
    grant(app, "zhen", "secretary", "town-chengguan")
    edu.post("/api/v1/users", json={"name": "li", "role": "secretary", "unit": "school-no1"})
    edu.patch("/api/v1/users/edu", json={"display_name": "教育局管理员"})
    root.post("/api/v1/users/zhen/tokens", json={})
    school_case, town_case = _incident_of(root, "school-no1"), _incident_of(root, "town-chengguan")
    root.post(f"/api/v1/incidents/{school_case}/notes", json={"text": "已联系学校"})
    root.post(f"/api/v1/incidents/{town_case}/notes", json={"text": "已联系镇政府"})
    seen = {(e["action"], e["target"]) for e in edu.get("/api/v1/audit", params={"limit": 500}).json()}
    assert ("user.update", "user:edu") in seen  # its own changes
    assert ("user.create", "user:li") in seen and ("incident.note", f"incident:{school_case}") in seen
    targets = {t for _, t in seen}
    assert "user:zhen" not in targets and "user:root" not in targets and f"incident:{town_case}" not in targets
    everything = {(e["action"], e["target"]) for e in root.get("/api/v1/audit", params={"limit": 500}).json()}
    assert ("token.create", "user:zhen") in everything and seen < everything


def test_parallel_wrong_passwords_cannot_beat_the_login_limit(app_on_both: FastAPI, grant: Any) -> None:
    """19 guesses for one name posted at the same instant: only the first 5 get their password checked."""
    grant(app_on_both, "li", "secretary", "school-no1", password=PASSWORD)
    browsers = [TestClient(app_on_both) for _ in range(19)]
    forms = []
    for i, browser in enumerate(browsers):
        csrf = browser.get("/login").text.split("name='csrf_token' value='")[1].split("'")[0]
        forms.append({"name": "li", "password": f"wrong password {i}", "csrf_token": csrf})
    start = threading.Barrier(19)

    def guess(i: int) -> int:
        start.wait()
        return browsers[i].post("/login", data=forms[i], follow_redirects=False).status_code

    with ThreadPoolExecutor(19) as pool:
        statuses = sorted(pool.map(guess, range(19)))
    assert statuses == [401] * 5 + [429] * 14
    with app_on_both.state.yuqing.sessions() as session:
        assert len(session.scalars(select(LoginFailure).where(LoginFailure.name == "li")).all()) == 5
