"""What a route outside api/ (a domain's routes, the access dependencies) may use of the app's state: the
configuration, the workflow database, the public address and the clock. The API's full state (api/state.py
`ApiState`, put on the app by the composition root) has these and more; a domain's route cannot reach the rest."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from fastapi import Request
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from config import Config


class WebState(Protocol):
    @property
    def config(self) -> Config: ...

    @property
    def sessions(self) -> sessionmaker[Session]: ...

    @property
    def base_url(self) -> str: ...

    @property
    def now(self) -> Callable[[], datetime]: ...


async def get_web_state(request: Request) -> WebState:
    """A coroutine: FastAPI runs a plain function dependency in its thread pool, a hop per request for a
    lookup."""
    state: WebState = request.app.state.yuqing
    return state


def workflow_engine(state: WebState) -> Engine:
    """The workflow database's engine, the sessions' bind: for a read or a check done with Core statements on a
    connection of its own, where an ORM Session's set-up and close would cost more than the statement."""
    engine: Engine = state.sessions.kw["bind"]
    return engine
