"""The dashboard: static pages (shipped, no CDN) that read the JSON API and the live feed, behind login.

Pages carry a Content-Security-Policy that allows only this site's own scripts and styles: crawled text is
rendered through textContent, and should a bug ever let markup through, an injected script still cannot run."""

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
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "font-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
# Only these files are served: a name from the URL never reaches the filesystem.
ASSETS = {
    "app.css": "text/css",
    "app.js": "application/javascript",
    "board.js": "application/javascript",
    "incident.js": "application/javascript",
    "search.js": "application/javascript",
    "charts.js": "application/javascript",
    "sources.js": "application/javascript",
    "briefings.js": "application/javascript",
}


async def _page(request: Request, state: ApiState, name: str) -> Response:
    cookie = request.cookies.get(SESSION_COOKIE)
    principal = await run_in_threadpool(resolve, state, token=None, cookie=cookie) if cookie else None
    if principal is None:  # back to the very page after signing in, its query (a search) included
        query = request.url.query
        return login_redirect(request.url.path + (f"?{query}" if query else ""))
    page = HTMLResponse((STATIC / name).read_text(encoding="utf-8"))
    page.headers["Cache-Control"] = "no-store"
    page.headers["Content-Security-Policy"] = CSP
    page.headers["X-Content-Type-Options"] = "nosniff"
    page.headers["Referrer-Policy"] = "same-origin"
    return page


@router.get("/", response_class=HTMLResponse)
async def board(request: Request, state: Annotated[ApiState, Depends(get_state)]) -> Response:
    return await _page(request, state, "board.html")


@router.get("/incidents/{incident_id}", response_class=HTMLResponse)
async def incident_page(incident_id: int, request: Request, state: Annotated[ApiState, Depends(get_state)]) -> Response:
    return await _page(request, state, "incident.html")


@router.get("/search", response_class=HTMLResponse)
async def search_page(request: Request, state: Annotated[ApiState, Depends(get_state)]) -> Response:
    return await _page(request, state, "search.html")


@router.get("/briefings", response_class=HTMLResponse)
async def briefings_page(request: Request, state: Annotated[ApiState, Depends(get_state)]) -> Response:
    return await _page(request, state, "briefings.html")


@router.get("/sources", response_class=HTMLResponse)
async def sources_page(request: Request, state: Annotated[ApiState, Depends(get_state)]) -> Response:
    return await _page(request, state, "sources.html")


@router.get("/static/{name}")
def static(name: str) -> Response:
    media = ASSETS.get(name)
    if media is None:
        return Response(status_code=404)
    response = Response((STATIC / name).read_text(encoding="utf-8"), media_type=media + "; charset=utf-8")
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
