"""API test helpers: real users with real tokens in the test's workflow database."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import pytest
import uvicorn
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


Serve = Callable[[FastAPI], str]


@pytest.fixture
def serve() -> Iterator[Serve]:
    """serve(app) -> the base URL of the app on a real uvicorn server on 127.0.0.1 (for streams, which the
    TestClient cannot read while they are open); stopped when the test ends."""
    running: list[tuple[uvicorn.Server, threading.Thread]] = []

    def start(app: FastAPI) -> str:
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        running.append((server, thread))
        while not server.started:
            time.sleep(0.05)
        return f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"

    yield start
    for server, thread in running:
        server.should_exit = True
        thread.join(timeout=10)
