"""One-click acknowledgement from a notification: GET shows what will be confirmed, POST confirms."""

from __future__ import annotations

import html
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse

from alerting.incidents import service
from api.params import RowId
from api.state import ApiState, get_state

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


@router.get("/{incident_id}/{who}/{mac}", response_class=HTMLResponse)
async def confirm_page(
    incident_id: RowId, who: str, mac: str, state: Annotated[ApiState, Depends(get_state)]
) -> HTMLResponse:
    recipient = _check(state, incident_id, who, mac)
    if recipient is None:
        return _page("链接无效", "<p>该确认链接无效或已被篡改。</p>", 403)

    def load() -> str | None:
        with state.sessions() as session:
            incident = service.get_incident(session, incident_id=incident_id)
            return incident.title if incident else None

    title = await run_in_threadpool(load)
    if title is None:
        return _page("事件不存在", "<p>该事件不存在。</p>", 404)
    name = recipient.split(":", 1)[-1]
    return _page(
        "确认收到舆情预警",
        f"<p><b>{html.escape(title)}</b></p><p>确认人：{html.escape(name)}</p>"
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

    def act() -> bool:
        try:
            with state.sessions.begin() as session:
                service.acknowledge(session, incident_id=incident_id, actor=actor, now=state.now())
        except service.IncidentError:
            return False
        return True

    if not await run_in_threadpool(act):
        return _page("事件不存在", "<p>该事件不存在。</p>", 404)
    return _page(
        "已确认",
        f"<p>已记录 {html.escape(actor)} 确认收到。</p><p><a href='/incidents/{incident_id}'>打开事件页面</a></p>",
    )
