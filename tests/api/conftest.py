"""API test helpers: real users with real tokens in the test's workflow database."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.access import service
from api.access.roles import Role
from api.state import ApiState
from store.workflow.db import utcnow

Grant = Callable[..., TestClient]


def add_user(
    state: ApiState,
    name: str,
    role: str,
    unit: str | None = None,
    *,
    display_name: str | None = None,
    password: str | None = None,
) -> str:
    """Create the user and return a new API token of theirs."""
    with state.sessions.begin() as session:
        service.create_user(
            session,
            config=state.config,
            name=name,
            role=Role(role),
            unit=unit,
            password=password,
            display_name=display_name,
            actor="test",
            now=utcnow(),
        )
        _, token = service.issue_token(session, name=name, label="test", expires_in=None, actor="test", now=utcnow())
    return token


@pytest.fixture
def grant() -> Grant:
    """grant(app, name, role, unit=None, display_name=None) -> a TestClient authenticated as that new user."""

    def make(app: FastAPI, name: str, role: str, unit: str | None = None, **kwargs: str) -> TestClient:
        token = add_user(app.state.yuqing, name, role, unit, **kwargs)
        return TestClient(app, headers={"Authorization": f"Bearer {token}"})

    return make
