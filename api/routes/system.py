"""Health of the service (each source's: sources/routes.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response
from fastapi.concurrency import run_in_threadpool

from alerting.service_health import assess
from api.state import ApiState, get_state

router = APIRouter(tags=["system"])


@router.get("/healthz", responses={503: {"description": "the service cannot do its job: see problems"}})
async def healthz(state: Annotated[ApiState, Depends(get_state)], response: Response) -> dict[str, object]:
    """ok, degraded (late or partial: a backlog, failing sources, a stale scheduler, a stuck outbox) or failing
    (a store unreadable, the disk full: answered 503), each problem with its reason in Chinese."""

    def check() -> dict[str, object]:
        health = assess(
            sessions=state.sessions,
            mentions=state.mentions,
            config=state.config,
            data_dir=state.data_dir,
            heartbeat_limit_seconds=state.heartbeat_limit_seconds,
            now=state.now(),
        )
        if health.status == "failing":
            response.status_code = 503
        return {
            "status": health.status,
            "mentions": health.mentions,
            "analysis_backlog": health.backlog,
            "problems": [{"kind": p.kind, "severity": p.severity, "reason": p.reason} for p in health.problems],
        }

    return await run_in_threadpool(check)
