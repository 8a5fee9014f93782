"""One-click acknowledgement from a notification: GET shows what will be confirmed, POST confirms."""

from __future__ import annotations

import html
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse

from alerting.delivery.templates import beijing_minute
from alerting.incidents import service
from alerting.incidents.models import Incident
from api.params import RowId
from api.state import ApiState, get_state
from config import Config, Level

router = APIRouter(prefix="/ack", include_in_schema=False)


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(
        "<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{html.escape(title)}</title><link rel='stylesheet' href='/static/app.css'></head><body>"
        f"<header><h1>{html.escape(title)}</h1></header><main><section>{body}</section></main></body></html>",
        status_code=status,
    )


def _check(state: ApiState, incident_id: int, who: str, mac: str) -> str | None:
    return state.ack_links.verify(incident_id, who, mac) if state.ack_links else None


def _facts(incident: Incident, config: Config, now: datetime) -> str:
    """What the recipient needs before confirming: level, unit, title and the time left to report."""
    units = {u.id: u.name for u in config.units}
    unit = units.get(incident.unit, incident.unit) if incident.unit else "未归属单位"
    if incident.reported_at is not None:
        left = f"已于 {beijing_minute(incident.reported_at)} 报告宣传部"
    else:
        minutes = int((incident.report_due_at - now).total_seconds() // 60)
        left = f"距报告时限还剩 {minutes} 分钟" if minutes >= 0 else f"已超过报告时限 {-minutes} 分钟"
    return (
        f"<p><span class='badge lv-{incident.level}'>{html.escape(Level(incident.level).zh)}</span> "
        f"{html.escape(unit)}</p><p><b>{html.escape(incident.title)}</b></p>"
        f"<p class='countdown-text'>{html.escape(left)}（时限 {beijing_minute(incident.report_due_at)}）</p>"
    )


def _acknowledged_by(incident: Incident) -> str:
    """Who confirmed first, and when: a used link says so instead of asking again."""
    assert incident.acknowledged_at is not None
    who = next((t.actor for t in incident.timeline if t.action == "acknowledged"), None)
    by = f"由 {html.escape(who)} " if who else ""
    return f"<p>该预警已于 {beijing_minute(incident.acknowledged_at)} {by}确认收到，无需再次确认。</p>"


@router.get("/{incident_id}/{who}/{mac}", response_class=HTMLResponse)
async def confirm_page(
    incident_id: RowId, who: str, mac: str, state: Annotated[ApiState, Depends(get_state)]
) -> HTMLResponse:
    recipient = _check(state, incident_id, who, mac)
    if recipient is None:
        return _page("链接无效", "<p>该确认链接无效或已被篡改。</p>", 403)

    def load() -> tuple[str, bool] | None:
        with state.sessions() as session:
            incident = service.get_incident(session, incident_id=incident_id)
            if incident is None:
                return None
            facts = _facts(incident, state.config, state.now())
            if incident.acknowledged_at is not None:
                return facts + _acknowledged_by(incident), True
            return facts, False

    found = await run_in_threadpool(load)
    if found is None:
        return _page("事件不存在", "<p>该事件不存在。</p>", 404)
    facts, used = found
    name = recipient.split(":", 1)[-1]
    if used:
        return _page("预警已确认", facts + f"<p><a href='/incidents/{incident_id}'>打开事件页面</a></p>")
    return _page(
        "确认收到舆情预警",
        f"{facts}<p>确认人：{html.escape(name)}</p>"
        "<form method='post'><button type='submit'>确认收到</button></form>"
        f"<p><a href='/incidents/{incident_id}'>打开事件页面</a></p>",
    )


@router.post("/{incident_id}/{who}/{mac}", response_class=HTMLResponse)
async def confirm(
    incident_id: RowId, who: str, mac: str, state: Annotated[ApiState, Depends(get_state)]
) -> HTMLResponse:
    recipient = _check(state, incident_id, who, mac)
    if recipient is None:
        return _page("链接无效", "<p>该确认链接无效或已被篡改。</p>", 403)
    actor = f"{recipient.split(':', 1)[-1]}（通知链接）"

    def act() -> str | None:
        try:
            with state.sessions.begin() as session:
                incident = service.get_incident(session, incident_id=incident_id)
                earlier = incident is not None and incident.acknowledged_at is not None
                incident = service.acknowledge(session, incident_id=incident_id, actor=actor, now=state.now())
                facts = _facts(incident, state.config, state.now())
                if earlier:
                    return facts + _acknowledged_by(incident)
                return f"{facts}<p>已记录 {html.escape(actor)} 确认收到。</p>"
        except service.IncidentError:
            return None

    body = await run_in_threadpool(act)
    if body is None:
        return _page("事件不存在", "<p>该事件不存在。</p>", 404)
    return _page("已确认", f"{body}<p><a href='/incidents/{incident_id}'>打开事件页面</a></p>")
