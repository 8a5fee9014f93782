"""Every configured source's health and open operations alerts (GET /api/v1/sources)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import func, select

from sources.alerts import SourceAlert
from sources.health import SourceHealth
from sources.runs import CrawlRun
from sources.schemas import SourceAlertOut, SourceHealthOut
from web.access.deps import Reader
from web.state import WebState, get_web_state

router = APIRouter(tags=["system", "sources"])  # as when it was one of the system routes


@router.get("/api/v1/sources", response_model=list[SourceHealthOut])
async def sources(state: Annotated[WebState, Depends(get_web_state)], principal: Reader) -> list[SourceHealthOut]:
    def load() -> list[SourceHealthOut]:
        with state.sessions() as session:
            health = {h.source: h for h in session.scalars(select(SourceHealth))}
            last_runs = {
                run.source: run
                for run in session.scalars(
                    select(CrawlRun).where(
                        CrawlRun.id.in_(select(func.max(CrawlRun.id)).group_by(CrawlRun.source).scalar_subquery())
                    )
                )
            }
            alerts: dict[str, list[SourceAlertOut]] = {}
            for alert in session.scalars(
                select(SourceAlert).where(SourceAlert.resolved_at.is_(None)).order_by(SourceAlert.id)
            ):
                alerts.setdefault(alert.source, []).append(
                    SourceAlertOut(kind=alert.kind, opened_at=alert.opened_at, detail=alert.detail)
                )
        out = []
        for source in state.config.sources:
            h = health.get(source.id)
            out.append(
                SourceHealthOut(
                    source=source.id,
                    name=source.name,
                    enabled=source.enabled,
                    last_run_at=h.last_run_at if h else None,
                    last_success_at=h.last_success_at if h else None,
                    last_items=h.last_items if h else 0,
                    last_new_items=h.last_new_items if h else 0,
                    total_items=h.total_items if h else 0,
                    total_errors=h.total_errors if h else 0,
                    total_parse_failures=h.total_parse_failures if h else 0,
                    consecutive_failures=h.consecutive_failures if h else 0,
                    last_error=h.last_error if h else None,
                    last_parse_failure_rate=_failure_rate(last_runs.get(source.id)),
                    alerts=alerts.get(source.id, []),
                )
            )
        return out

    return await run_in_threadpool(load)


def _failure_rate(run: CrawlRun | None) -> float | None:
    if run is None or run.items + run.parse_failures == 0:
        return None
    return round(run.parse_failures / (run.items + run.parse_failures), 3)
