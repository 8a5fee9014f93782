"""The dashboard: static pages (shipped, no CDN) that read the JSON API and the live feed, behind login."""

from __future__ import annotations

from importlib import resources
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response

from api.access.deps import SESSION_COOKIE, resolve
from api.routes.auth import login_redirect
from api.state import ApiState, get_state

router = APIRouter(include_in_schema=False)
STATIC = resources.files("api") / "static"


async def _page(request: Request, state: ApiState, name: str) -> Response:
    cookie = request.cookies.get(SESSION_COOKIE)
    principal = await run_in_threadpool(resolve, state, token=None, cookie=cookie) if cookie else None
    if principal is None:
        return login_redirect(request.url.path)
    page = HTMLResponse((STATIC / name).read_text(encoding="utf-8"))
    page.headers["Cache-Control"] = "no-store"
    return page


@router.get("/", response_class=HTMLResponse)
async def board(request: Request, state: Annotated[ApiState, Depends(get_state)]) -> Response:
    return await _page(request, state, "board.html")


@router.get("/incidents/{incident_id}", response_class=HTMLResponse)
async def incident_page(incident_id: int, request: Request, state: Annotated[ApiState, Depends(get_state)]) -> Response:
    return await _page(request, state, "incident.html")


@router.get("/static/{name}")
def static(name: str) -> Response:
    if name not in {"app.css", "app.js"}:
        return Response(status_code=404)
    media = "text/css" if name.endswith(".css") else "application/javascript"
    return Response((STATIC / name).read_text(encoding="utf-8"), media_type=media + "; charset=utf-8")
