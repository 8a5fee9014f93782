"""Briefings as HTML or PDF: the incident report (舆情专报), the daily and weekly briefings (日报/周报) and the
analysis report (研判) for a period and a unit (with every unit below it)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Response
from fastapi.concurrency import run_in_threadpool

from alerting.incidents.models import Incident
from api.state import ApiState, get_state
from briefings.incident_report import IncidentNotFound
from briefings.pdf import PdfUnavailable
from briefings.periods import Kind, Period
from briefings.service import Document, Format, default_period, incident_document, make_period, period_document
from web.access.deps import Reader
from web.access.scope import Principal
from web.params import invalid

router = APIRouter(prefix="/api/v1/briefings", tags=["briefings"])

FormatQuery = Annotated[Literal["html", "pdf"], Query(description="html (default) or pdf")]
UnitQuery = Annotated[
    str | None, Query(max_length=100, description="unit id; the report covers it and every unit below it")
]
# What every briefing route answers: the document, as HTML (default) or, with format=pdf, as PDF.
_DOCUMENT: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "the briefing: self-contained HTML, or a PDF with format=pdf",
        "content": {
            "text/html": {"schema": {"type": "string"}},
            "application/pdf": {"schema": {"type": "string", "format": "binary"}},
        },
    }
}
# The HTML is self-contained: nothing may load or run, whatever a quoted post contains.
_HTML_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"


def _response(document: Document, fmt: Format) -> Response:
    headers = {"X-Content-Type-Options": "nosniff"}
    if fmt == "pdf":
        headers["Content-Disposition"] = f'attachment; filename="{document.filename}"'
    else:
        headers["Content-Security-Policy"] = _HTML_POLICY
    return Response(document.content, media_type=document.media_type, headers=headers)


async def _period(state: ApiState, principal: Principal, period: Period, unit: str | None, fmt: Format) -> Response:
    if unit is not None and unit not in {u.id for u in state.config.units}:
        raise HTTPException(404, f"unit {unit!r} not found")
    # A user bound to units reports on their own unit (and those below it) unless they name one of them.
    unit = unit or (principal.unit if principal.scope is not None else None)
    if not principal.sees(unit):
        raise HTTPException(403, f"unit {unit!r} is outside your units")

    def build() -> Document:
        return period_document(
            state.mentions, state.sessions, state.config, period=period, unit_id=unit, now=state.now(), fmt=fmt
        )

    try:
        return _response(await run_in_threadpool(build), fmt)
    except PdfUnavailable as exc:
        raise HTTPException(503, str(exc)) from None


def _make(kind: Kind, first: date, last: date | None = None) -> Period:
    try:
        return make_period(kind, first, last)
    except ValueError as exc:  # in FastAPI's validation-error shape, as every 422 of the API
        field = {"daily": "date", "weekly": "start", "analysis": "first"}[kind]
        raise invalid(("query", field), str(exc)) from None


@router.get("/daily", summary="舆情日报 for one Beijing day", response_class=Response, responses=_DOCUMENT)
async def daily(
    state: Annotated[ApiState, Depends(get_state)],
    principal: Reader,
    day: Annotated[date | None, Query(alias="date", description="Beijing date; default today so far")] = None,
    unit: UnitQuery = None,
    format: FormatQuery = "html",
) -> Response:
    period = _make("daily", day) if day else default_period("daily", state.config, state.now())
    return await _period(state, principal, period, unit, format)


@router.get("/weekly", summary="舆情周报 for seven Beijing days", response_class=Response, responses=_DOCUMENT)
async def weekly(
    state: Annotated[ApiState, Depends(get_state)],
    principal: Reader,
    start: Annotated[
        date | None, Query(description="first day; default this week so far (from the configured weekly_on weekday)")
    ] = None,
    unit: UnitQuery = None,
    format: FormatQuery = "html",
) -> Response:
    period = _make("weekly", start) if start else default_period("weekly", state.config, state.now())
    return await _period(state, principal, period, unit, format)


@router.get(
    "/analysis", summary="舆情分析研判报告 for a span of Beijing days", response_class=Response, responses=_DOCUMENT
)
async def analysis(
    state: Annotated[ApiState, Depends(get_state)],
    principal: Reader,
    first: Annotated[date | None, Query(description="first day; default 30 days before today")] = None,
    last: Annotated[date | None, Query(description="last day, included; default yesterday")] = None,
    unit: UnitQuery = None,
    format: FormatQuery = "html",
) -> Response:
    default = default_period("analysis", state.config, state.now())
    period = _make("analysis", first or default.first, last or default.last)
    return await _period(state, principal, period, unit, format)


@router.get(
    "/incidents/{incident_id}", summary="舆情专报 for one incident", response_class=Response, responses=_DOCUMENT
)
async def incident(
    state: Annotated[ApiState, Depends(get_state)],
    principal: Reader,
    incident_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    format: FormatQuery = "html",
) -> Response:
    def build() -> Document:
        with state.sessions() as session:
            found = session.get(Incident, incident_id)
            if found is None or not principal.sees(found.unit):
                raise IncidentNotFound(incident_id)  # a case outside the user's units does not exist for them
        return incident_document(
            state.mentions, state.sessions, state.config, incident_id=incident_id, now=state.now(), fmt=format
        )

    try:
        return _response(await run_in_threadpool(build), format)
    except IncidentNotFound:
        raise HTTPException(404, "incident not found") from None
    except PdfUnavailable as exc:
        raise HTTPException(503, str(exc)) from None
