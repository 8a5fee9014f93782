"""The FastAPI application."""

from __future__ import annotations

from fastapi import FastAPI

from api.routes import ack, analysis, briefings, dashboard, feed, incidents, mentions, supervision, system
from api.state import ApiState


def create_app(state: ApiState) -> FastAPI:
    app = FastAPI(
        title="Yuqing 舆情",
        version="0.1.0",
        description="Public-opinion monitoring and incident response: search, incidents, live alert feed.",
    )
    app.state.yuqing = state
    for module in (system, mentions, analysis, incidents, supervision, briefings, feed, dashboard, ack):
        app.include_router(module.router)
    return app
