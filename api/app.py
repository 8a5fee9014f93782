"""The FastAPI application."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline

from alerting.incidents import routes as incidents
from api import errors
from api.headers import NoFraming
from api.routes import (
    ack,
    analysis,
    audit,
    auth,
    briefings,
    dashboard,
    export,
    feed,
    labels,
    mentions,
    schemes,
    short_links,
    supervision,
    system,
    users,
)
from api.state import ApiState
from sources import routes as sources


def create_app(state: ApiState) -> FastAPI:
    # /docs and /redoc from assets shipped in the fastapi-offline package: no CDN (offline intranets).
    app = FastAPIOffline(
        title="Yuqing 舆情",
        version="0.1.0",
        description="Public-opinion monitoring and incident response: search, incidents, live alert feed.",
    )
    app.state.yuqing = state
    errors.install(app)
    # export before mentions: /api/v1/mentions/export must not be taken for a mention id
    for module in (
        system,
        sources,
        auth,
        export,
        mentions,
        analysis,
        incidents,
        schemes,
        audit,
        users,
        supervision,
        briefings,
        labels,
        feed,
        dashboard,
        ack,
        short_links,
    ):
        app.include_router(module.router)
    app.add_middleware(NoFraming)
    return app
