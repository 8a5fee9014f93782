"""Handling an incident through the API: the signed acknowledgement link, tasks, stages, closing with a
resolved notice, and the supervision figures."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from alerting.ack_links import AckLinks
from alerting.delivery.models import Delivery
from api.app import create_app
from api.state import ApiState
from config.models import BEIJING
from store.mentions import NewMention
from store.workflow.audit import AuditEntry

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def env(tmp_path: Path, grant: Any, app_world: Any) -> Iterator[dict[str, Any]]:
    world = app_world()
    links = AckLinks.from_key_file(tmp_path / "ack_key", base_url="http://yq")
    world.add_posts(
        [
            NewMention(
                "demo-baixing",
                "1",
                "http://b/1",
                "城关第一中学学生被殴打住院",
                "城关一中学生被围殴受伤住院。",
                unit="county",
            )
        ]
    )
    world.run_rules("demo-baixing:1", ack_link=links.link)
    mention = world.store.get("demo-baixing:1")
    state = world.state(ack_links=links)
    app = create_app(state)
    sessions = world.sessions
    yield {
        "app": app,
        "anonymous": TestClient(app),
        "client": grant(app, "wang", "secretary", "school-no1", display_name="王书记"),
        "commentator": grant(app, "xiaoli", "commentator", "school-no1", display_name="网评员小李"),
        "sessions": sessions,
        "links": links,
        "state": state,
        "start": mention.discovered_at,
    }


def _ack_path(env: dict[str, Any], recipient: str = "school-no1:一中党支部书记") -> str:
    with env["sessions"]() as session:
        body = session.scalars(
            select(Delivery.body).where(Delivery.recipient == recipient).order_by(Delivery.id)
        ).first()
    assert body is not None
    match = re.search(r"一键确认收到：http://yq(/ack/\S+)", body)
    assert match, body
    return match.group(1)


def test_signed_link_acknowledges_only_on_post(env: dict[str, Any]) -> None:
    client: TestClient = env["client"]
    path = _ack_path(env)
    anonymous: TestClient = env["anonymous"]  # the link works without signing in: it is signed itself
    page = anonymous.get(path)  # what a chat app's link preview does
    assert page.status_code == 200 and "确认收到" in page.text and "一中党支部书记" in page.text
    assert client.get("/api/v1/incidents/1").json()["acknowledged_at"] is None
    done = anonymous.post(path)
    assert done.status_code == 200 and "已确认" in done.text
    detail = client.get("/api/v1/incidents/1").json()
    assert detail["acknowledged_at"] and detail["timeline"][-1]["actor"] == "一中党支部书记（通知链接）"


def test_the_ack_page_shows_the_case_and_a_used_link_says_who_and_when(env: dict[str, Any]) -> None:
    client: TestClient = env["client"]
    anonymous: TestClient = env["anonymous"]
    state: ApiState = env["state"]
    detail = client.get("/api/v1/incidents/1").json()
    path = _ack_path(env)
    state.now = lambda: env["start"] + timedelta(minutes=7)
    page = anonymous.get(path).text
    assert detail["level_name"] in page and detail["unit_name"] in page and detail["title"] in page
    assert "距报告时限还剩 23 分钟" in page and "<form method='post'>" in page
    anonymous.post(path)
    state.now = lambda: env["start"] + timedelta(minutes=40)
    used = anonymous.get(path).text
    assert "已超过报告时限 10 分钟" in used and "<form" not in used
    acknowledged = datetime.fromisoformat(client.get("/api/v1/incidents/1").json()["acknowledged_at"])
    when = acknowledged.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M")
    assert f"已由 一中党支部书记（通知链接） 于 {when} 确认收到" in used
    again = anonymous.post(path).text  # a second click changes nothing and says who did it
    assert "已由 一中党支部书记（通知链接） 于" in again


@pytest.mark.parametrize(
    "tamper",
    [
        lambda p: p[:-2] + ("AA" if not p.endswith("AA") else "BB"),  # forged signature
        lambda p: re.sub(r"^/ack/1/", "/ack/2/", p),  # another incident
        lambda p: p.replace(p.split("/")[3], "Y291bnR5OuWOv-aUv-W6nOWAvOePreWupA"),  # another person
    ],
)
def test_tampered_links_are_refused(env: dict[str, Any], tamper: Any) -> None:
    client: TestClient = env["client"]
    bad = tamper(_ack_path(env))
    anonymous: TestClient = env["anonymous"]
    assert anonymous.get(bad).status_code == 403 and anonymous.post(bad).status_code == 403
    assert client.get("/api/v1/incidents/1").json()["acknowledged_at"] is None


def test_links_expire_after_seven_days_by_default(env: dict[str, Any]) -> None:
    state: ApiState = env["state"]
    path = _ack_path(env)
    anonymous: TestClient = env["anonymous"]
    base = state.now()
    state.now = lambda: base + timedelta(days=6, hours=23)
    assert "<button" in anonymous.get(path).text
    state.now = lambda: base + timedelta(days=7, minutes=1)
    expired = anonymous.get(path)
    assert expired.status_code == 410 and "已过期" in expired.text and "<button" not in expired.text
    assert anonymous.post(path).status_code == 410
    assert env["client"].get("/api/v1/incidents/1").json()["acknowledged_at"] is None
    # The expiry is signed: pushing it later breaks the signature.
    head, last = path.rsplit("/", 1)
    expiry, mac = last.split(".")
    later = f"{head}/{int(expiry, 16) + 86400 * 30:x}.{mac}"
    assert anonymous.get(later).status_code == 403


def test_expiry_is_configurable(tmp_path: Path) -> None:
    links = AckLinks.from_key_file(tmp_path / "k", base_url="http://yq", valid_for=timedelta(hours=1))
    made = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    links = replace(links, now=lambda: made)
    _, incident, who, mac = links.link(5, "unit:人").rsplit("/", 3)
    link = links.verify(int(incident), who, mac)
    assert link is not None and link.expires_at == made + timedelta(hours=1)
    assert not link.expired(made + timedelta(minutes=59)) and link.expired(made + timedelta(hours=1))
    old_style = mac.split(".")[1]  # a link from before expiry was signed
    assert links.verify(int(incident), who, old_style) is None


def test_a_used_or_closed_link_says_who_acknowledged_and_when(env: dict[str, Any]) -> None:
    client: TestClient = env["client"]
    anonymous: TestClient = env["anonymous"]
    path = _ack_path(env)
    client.post("/api/v1/incidents/1/acknowledge")
    used = anonymous.get(path)
    acknowledged_at = datetime.fromisoformat(client.get("/api/v1/incidents/1").json()["acknowledged_at"])
    when = acknowledged_at.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")
    assert used.status_code == 200 and "<button" not in used.text
    assert "已由 王书记 于" in used.text and "（wang）" not in used.text and when in used.text
    assert "已由 王书记 于" in anonymous.post(path).text  # a second POST acknowledges nothing more
    assert [e["action"] for e in client.get("/api/v1/incidents/1").json()["timeline"]].count("acknowledged") == 1
    client.post("/api/v1/incidents/1/report", json={"channel": "电话", "summary": "已电话报告"})
    client.post("/api/v1/incidents/1/close", json={"summary": "已处置"})
    closed = anonymous.get(_ack_path(env, "county-edu:教育局党委书记"))
    assert closed.status_code == 200 and "已结案" in closed.text and "<button" not in closed.text
    assert "已由 王书记 于" in closed.text


def test_tasks_stages_and_resolved_notice(env: dict[str, Any]) -> None:
    client: TestClient = env["client"]
    detail = client.get("/api/v1/incidents/1").json()
    assert detail["playbook"] == "major" and detail["stage"] == "analyse"
    assert [c["step"] for c in detail["clock"]][:2] == ["alert@0", "escalation@5"]
    first = detail["tasks"][0]
    assert first["role"] == "commentator"
    commentator: TestClient = env["commentator"]
    secretary_task = next(t for t in detail["tasks"] if t["role"] == "secretary")
    assert commentator.post(f"/api/v1/incidents/1/tasks/{secretary_task['id']}/done").status_code == 403
    done = commentator.post(f"/api/v1/incidents/1/tasks/{first['id']}/done").json()
    assert done["tasks"][0]["done_by"] == "网评员小李"  # by name; the audit log keeps the login
    assert client.post("/api/v1/incidents/1/tasks/9999/done").status_code == 404
    assert commentator.post("/api/v1/incidents/1/advance").status_code == 403  # the secretary's step
    assert client.post("/api/v1/incidents/1/advance").json()["stage"] == "report"
    refused = client.post("/api/v1/incidents/1/advance")
    assert refused.status_code == 409 and "先记录" in refused.json()["detail"]
    reported = client.post("/api/v1/incidents/1/report", json={"channel": "电话", "summary": "已报告"}).json()
    report_task = next(t for t in reported["tasks"] if t["stage"] == "report")
    assert report_task["title"] == "30分钟内电话或短信报告宣传部" and report_task["done_at"]  # ticked by the report
    assert client.post("/api/v1/incidents/1/advance").status_code == 409  # handle: close
    client.post("/api/v1/incidents/1/close", json={"summary": "涉事学生已处理，家长满意"})
    with env["sessions"]() as session:
        alerted = set(session.scalars(select(Delivery.recipient).where(Delivery.kind == "alert@0")))
        resolved = session.scalars(select(Delivery).where(Delivery.kind == "resolved")).all()
    assert {d.recipient for d in resolved} == alerted
    assert all("已结案" in d.title and "家长满意" in d.body for d in resolved)


def test_a_major_case_is_closed_unreported_only_with_a_written_reason(env: dict[str, Any]) -> None:
    client: TestClient = env["client"]
    assert client.get("/api/v1/incidents/1").json()["level"] >= 3
    refused = client.post("/api/v1/incidents/1/close", json={"summary": "已处理"})
    assert refused.status_code == 409 and "写明未报告的原因" in refused.json()["detail"]
    blank = client.post("/api/v1/incidents/1/close", json={"summary": "已处理", "no_report_reason": "  "})
    assert blank.status_code == 409
    closed = client.post(
        "/api/v1/incidents/1/close", json={"summary": "已处理", "no_report_reason": "宣传部当面听取了汇报"}
    ).json()
    assert closed["stage"] == "closed"
    assert "未报告宣传部即结案，原因：宣传部当面听取了汇报" in [t["detail"] for t in closed["timeline"]]
    with env["sessions"]() as session:
        audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "incident.close")).one()
    assert "宣传部当面听取了汇报" in str(audit.detail)


def test_the_secretary_writes_the_assessment_and_advice_into_the_briefing(env: dict[str, Any]) -> None:
    client: TestClient = env["client"]
    commentator: TestClient = env["commentator"]
    empty = client.get("/api/v1/briefings/incidents/1").text
    assert "研判意见" in empty and "待书记填写" in empty
    # Nobody has acknowledged or reported yet: said in words, not 「— （—）」.
    assert "尚未确认" in empty and "尚未报告" in empty and "（—）" not in empty
    refused = commentator.post("/api/v1/incidents/1/opinions", json={"assessment": "x"})
    assert refused.status_code == 403  # the secretary's words, not the commentator's
    client.post("/api/v1/incidents/1/opinions", json={"assessment": "初判为校园欺凌，已在家长群扩散。"})
    done = client.post("/api/v1/incidents/1/opinions", json={"advice": "由校方当面回应家长，口径统一。"}).json()
    client.post("/api/v1/incidents/1/opinions", json={"advice": "由校方当面回应家长，口径统一。"})  # unchanged
    details = [t["detail"] for t in done["timeline"] if t["action"] in ("assessment", "advice")]
    assert details == ["研判意见：初判为校园欺凌，已在家长群扩散。", "处置建议：由校方当面回应家长，口径统一。"]
    briefing = client.get("/api/v1/briefings/incidents/1").text
    assert "初判为校园欺凌，已在家长群扩散。" in briefing and "由校方当面回应家长，口径统一。" in briefing
    assert "待书记填写" not in briefing and "王书记 · " in briefing and "（wang）" not in briefing
    with env["sessions"]() as session:
        audited = session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("incident.a%"))).all()
    assert sorted(audited) == ["incident.advice", "incident.assessment"]


def test_supervision_figures(env: dict[str, Any]) -> None:
    client: TestClient = env["client"]
    start = env["start"]
    state: ApiState = env["state"]
    state.now = lambda: start + timedelta(minutes=4)
    env["commentator"].post("/api/v1/incidents/1/acknowledge")
    state.now = lambda: start + timedelta(minutes=18)
    client.post("/api/v1/incidents/1/report", json={"channel": "短信", "summary": "已报告"})
    params = {"since": (start - timedelta(days=1)).isoformat(), "until": (start + timedelta(days=1)).isoformat()}
    [record] = client.get("/api/v1/supervision", params=params).json()
    assert record["unit"] == "school-no1" and record["unit_name"] == "城关第一中学"
    assert (record["cases"], record["reported_in_time"], record["breaches"]) == (1, 1, 0)
    assert record["share_reported_in_time"] == 1.0
    assert record["median_minutes_to_acknowledge"] == pytest.approx(4.0, abs=0.1)
    assert record["median_minutes_to_report"] == pytest.approx(18.0, abs=0.1)
    assert (
        client.get("/api/v1/supervision", params={"since": params["until"], "until": params["since"]}).status_code
        == 422
    )


def test_the_page_is_what_its_model_would_dump(env: dict[str, Any]) -> None:
    """The page (and an action's answer) is written without validating the rows as IncidentDetailOut: its bytes
    must be what validating and dumping them gives, with tasks done and not, the clock, deliveries, the timeline."""
    from alerting.incidents.schemas import IncidentDetailOut

    client: TestClient = env["client"]
    first = client.get("/api/v1/incidents/1").json()["tasks"][0]
    acted = env["commentator"].post(f"/api/v1/incidents/1/tasks/{first['id']}/done")
    reported = client.post("/api/v1/incidents/1/report", json={"channel": "电话", "summary": "已报告"})
    page = client.get("/api/v1/incidents/1")
    detail = page.json()
    assert detail["tasks"] and detail["clock"] and detail["deliveries"] and len(detail["timeline"]) > 1
    assert any(t["done_at"] for t in detail["tasks"]) and any(t["done_at"] is None for t in detail["tasks"])
    for answer in (acted, reported, page):
        assert answer.status_code == 200 and answer.headers["content-type"] == "application/json"
        model = IncidentDetailOut.model_validate_json(answer.content)
        assert answer.content == model.model_dump_json().encode()
        assert list(answer.json()) == list(IncidentDetailOut.model_fields)
