"""One-click acknowledgement from a notification: GET shows what will be confirmed, POST confirms.

A link that was used, whose case is closed, or that has expired offers no button: it says who acknowledged
and when (and that the case is closed), so a late reader knows the case is in hand."""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from alerting.ack_links import AckLink
from alerting.incidents import service
from alerting.incidents.actors import actor_name, by_link
from alerting.incidents.models import Incident, TimelineEntry
from api.state import ApiState, get_state
from config import Config, Level
from config.models import BEIJING
from config.names import beijing_minute
from web.params import RowId

router = APIRouter(prefix="/ack", include_in_schema=False)


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(
        "<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{html.escape(title)}</title><link rel='stylesheet' href='/static/app.css'></head><body>"
        f"<header><h1>{html.escape(title)}</h1></header><main><section>{body}</section></main></body></html>",
        status_code=status,
    )


def _check(state: ApiState, incident_id: int, who: str, mac: str) -> AckLink | None:
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


@dataclass(frozen=True)
class _Case:
    title: str
    facts: str  # level, unit, title and the time left, as HTML
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    closed_at: datetime | None


def _case(session: Session, incident: Incident, config: Config, now: datetime) -> _Case:
    by = None
    if incident.acknowledged_at is not None:  # acknowledged, or reported (which acknowledges too)
        by = session.scalar(
            select(TimelineEntry.actor)
            .where(TimelineEntry.incident_id == incident.id, TimelineEntry.at <= incident.acknowledged_at)
            .where(TimelineEntry.action.in_(("acknowledged", "reported")))
            .order_by(TimelineEntry.id)
            .limit(1)
        )
    shown = actor_name(by) if by else None
    return _Case(incident.title, _facts(incident, config, now), incident.acknowledged_at, shown, incident.closed_at)


def _load(state: ApiState, incident_id: int) -> _Case | None:
    with state.sessions() as session:
        incident = service.get_incident(session, incident_id=incident_id)
        return _case(session, incident, state.config, state.now()) if incident else None


def _when(at: datetime) -> str:
    return at.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")


def _settled(incident_id: int, case: _Case, *, expired: bool) -> HTMLResponse | None:
    """The page for a link that can no longer acknowledge (used, closed or expired), or None if it still can."""
    if case.acknowledged_at is None and case.closed_at is None and not expired:
        return None
    lines = [case.facts]
    if case.acknowledged_at is not None:
        lines.append(
            f"<p>已由 {html.escape(case.acknowledged_by or '值班人员')} 于 {_when(case.acknowledged_at)} 确认收到。</p>"
        )
    if case.closed_at is not None:
        lines.append(f"<p>该事件已于 {_when(case.closed_at)} 结案。</p>")
    if expired and case.acknowledged_at is None and case.closed_at is None:
        lines.append("<p>该确认链接已过期，请登录值班台处理。</p>")
    lines.append(f"<p><a href='/incidents/{incident_id}'>打开事件页面</a></p>")
    if case.closed_at is not None:
        title = "事件已结案"
    elif case.acknowledged_at is not None:
        title = "已确认"
    else:
        title = "链接已过期"
    return _page(title, "".join(lines), 410 if title == "链接已过期" else 200)


@router.get("/{incident_id}/{who}/{mac}", response_class=HTMLResponse)
async def confirm_page(
    incident_id: RowId, who: str, mac: str, state: Annotated[ApiState, Depends(get_state)]
) -> HTMLResponse:
    link = _check(state, incident_id, who, mac)
    if link is None:
        return _page("链接无效", "<p>该确认链接无效或已被篡改。</p>", 403)
    case = await run_in_threadpool(_load, state, incident_id)
    if case is None:
        return _page("事件不存在", "<p>该事件不存在。</p>", 404)
    settled = _settled(incident_id, case, expired=link.expired(state.now()))
    if settled is not None:
        return settled
    name = link.recipient.split(":", 1)[-1]
    return _page(
        "确认收到舆情预警",
        f"{case.facts}<p>确认人：{html.escape(name)}</p>"
        "<form method='post'><button type='submit'>确认收到</button></form>"
        f"<p><a href='/incidents/{incident_id}'>打开事件页面</a></p>",
    )


@router.post("/{incident_id}/{who}/{mac}", response_class=HTMLResponse)
async def confirm(
    incident_id: RowId, who: str, mac: str, state: Annotated[ApiState, Depends(get_state)]
) -> HTMLResponse:
    link = _check(state, incident_id, who, mac)
    if link is None:
        return _page("链接无效", "<p>该确认链接无效或已被篡改。</p>", 403)
    actor = by_link(link.recipient.split(":", 1)[-1])
    now = state.now()

    def act() -> HTMLResponse:
        """The page to answer: acknowledged now, or why the link can no longer acknowledge."""
        with state.sessions.begin() as session:
            incident = service.get_incident(session, incident_id=incident_id)
            if incident is None:
                return _page("事件不存在", "<p>该事件不存在。</p>", 404)
            settled = _settled(incident_id, _case(session, incident, state.config, now), expired=link.expired(now))
            if settled is not None:
                return settled
            incident = service.acknowledge(session, incident_id=incident_id, actor=actor, now=now)
            facts = _facts(incident, state.config, now)
        return _page(
            "已确认",
            f"{facts}<p>已记录 {html.escape(actor)} 确认收到。</p>"
            f"<p><a href='/incidents/{incident_id}'>打开事件页面</a></p>",
        )

    return await run_in_threadpool(act)
