"""The dashboard: static pages (shipped, no CDN) that read the JSON API and the live feed."""

from __future__ import annotations

from importlib import resources

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

router = APIRouter(include_in_schema=False)
STATIC = resources.files("api") / "static"


def _page(name: str) -> HTMLResponse:
    return HTMLResponse((STATIC / name).read_text(encoding="utf-8"))


@router.get("/", response_class=HTMLResponse)
def board() -> HTMLResponse:
    return _page("board.html")


@router.get("/incidents/{incident_id}", response_class=HTMLResponse)
def incident_page(incident_id: int) -> HTMLResponse:
    return _page("incident.html")


@router.get("/static/{name}")
def static(name: str) -> Response:
    if name not in {"app.css", "app.js"}:
        return Response(status_code=404)
    media = "text/css" if name.endswith(".css") else "application/javascript"
    return Response((STATIC / name).read_text(encoding="utf-8"), media_type=media + "; charset=utf-8")
