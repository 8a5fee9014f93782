"""API test helpers: real users with real tokens in the test's workflow database."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

Grant = Callable[..., TestClient]


@pytest.fixture
def grant(user_token: Callable[..., str]) -> Grant:
    """grant(app, name, role, unit=None, display_name=None) -> a TestClient authenticated as that new user."""

    def make(app: FastAPI, name: str, role: str, unit: str | None = None, **kwargs: str) -> TestClient:
        token = user_token(app.state.yuqing, name, role, unit, **kwargs)
        return TestClient(app, headers={"Authorization": f"Bearer {token}"})

    return make
