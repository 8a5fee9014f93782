"""Shared fixtures: real parts on loopback — a notification receiver, a PostgreSQL database, config dirs."""

from __future__ import annotations

import json
import os
import re
import shutil
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent
EXAMPLE_CONFIG = REPO / "config" / "example"
SHARED_DATA = REPO.parent / "shared" / "data"


@dataclass
class Receiver:
    """An HTTP endpoint on 127.0.0.1 that records what Apprise's json:// posts to it.

    `mode[path_prefix]` makes a path fail ("fail": HTTP 500) or hang ("hang": no answer for 30 s).
    """

    server: ThreadingHTTPServer
    messages: list[dict[str, Any]] = field(default_factory=list)
    mode: dict[str, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def address(self) -> str:
        host, port = self.server.server_address[:2]
        return f"{host}:{port}"

    def json_url(self, path: str) -> str:
        return f"json://{self.address}/{path.lstrip('/')}"

    def wait_for(self, count: int, timeout: float) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.messages) >= count:
                    return list(self.messages)
            time.sleep(0.1)
        with self.lock:
            return list(self.messages)


def _handler(receiver_ref: list[Receiver]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            receiver = receiver_ref[0]
            length = int(self.headers.get("Content-Length", "0"))
            raw = self.rfile.read(length)
            behaviour = next((m for p, m in receiver.mode.items() if self.path.startswith(p)), "ok")
            if behaviour == "hang":
                time.sleep(30)
                return
            if behaviour == "fail":
                self.send_response(500)
                self.end_headers()
                return
            payload = json.loads(raw.decode("utf-8"))
            with receiver.lock:
                receiver.messages.append({"path": self.path, "at": time.time(), **payload})
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b"{}")

    return Handler


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    ref: list[Receiver] = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(ref))
    server.daemon_threads = True
    rec = Receiver(server=server)
    ref.append(rec)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield rec
    server.shutdown()
    server.server_close()


def write_config(
    target: Path,
    *,
    board_url: str,
    receiver: Receiver | None = None,
    interval: int | None = None,
    download_delay: float | None = None,
    extra: dict[str, str] | None = None,
) -> Path:
    """The example configuration, pointed at a test board and a test receiver. `download_delay` sets the example
    sources' pause between requests (their default 0.5 s is most of a crawl's time on a loopback board)."""
    target.mkdir(parents=True, exist_ok=True)
    for path in EXAMPLE_CONFIG.glob("*.yaml"):
        text = path.read_text(encoding="utf-8").replace("http://127.0.0.1:8601", board_url)
        if receiver is not None:
            text = text.replace("json://127.0.0.1:8600/demo/inbox", f"json://{receiver.address}/inbox")
        if interval is not None:
            text = text.replace("interval_seconds: 10", f"interval_seconds: {interval}")
        if download_delay is not None and path.name == "sources.yaml":
            text = re.sub(
                r"^(    interval_seconds: .*)$", rf"\1\n    download_delay: {download_delay}", text, flags=re.M
            )
        (target / path.name).write_text(text, encoding="utf-8")
    for name, text in (extra or {}).items():
        (target / name).write_text(text, encoding="utf-8")
    return target


@pytest.fixture
def example_config_copy(tmp_path: Path) -> Path:
    target = tmp_path / "config"
    shutil.copytree(EXAMPLE_CONFIG, target)
    return target


def _postgres_admin_dsn() -> str:
    return os.environ.get("YUQING_TEST_PG", "host=127.0.0.1 port=5432 user=postgres dbname=postgres")


@pytest.fixture(scope="session")
def pg_server() -> str:
    """The real PostgreSQL server on this machine. It must be running (.ci/run starts it): no silent skip."""
    import psycopg

    try:
        with psycopg.connect(_postgres_admin_dsn(), connect_timeout=5):
            pass
    except psycopg.OperationalError as exc:
        pytest.fail(f"PostgreSQL is not reachable at 127.0.0.1:5432 ({exc}); start it as .ci/run does")
    return _postgres_admin_dsn()


@pytest.fixture
def pg_url(pg_server: str) -> Iterator[str]:
    """A fresh, empty database for one test, dropped afterwards."""
    import psycopg

    name = f"yuqing_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    with psycopg.connect(pg_server, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def workflow_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Workflow-store tests run on both backends."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'workflow.sqlite3'}"
    url: str = request.getfixturevalue("pg_url")
    return url


@pytest.fixture
def make_config() -> Any:
    """`write_config` as a fixture, since test modules cannot import conftest under importlib mode."""
    return write_config


def _add_user(
    state: Any,
    name: str,
    role: str,
    unit: str | None = None,
    *,
    display_name: str | None = None,
    password: str | None = None,
) -> str:
    """Create the user in the API state's workflow database and return a new API token of theirs."""
    from api.access import service
    from api.access.roles import Role
    from store.workflow.db import utcnow

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


@pytest.fixture(scope="session")
def user_token() -> Any:
    """user_token(api_state, name, role, unit=None, display_name=None, password=None) -> a new user's API token."""
    return _add_user


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Files with a slow test first (stable otherwise): the suite's two workers each take whole files (pytest-xdist
    `--dist loadfile`), and a long end-to-end file handed out last would leave one worker busy alone at the end."""
    slow_files = {item.path for item in items if item.get_closest_marker("slow")}
    items.sort(key=lambda item: item.path not in slow_files)
