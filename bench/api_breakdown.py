"""Where an API request's CPU goes, measured in-process: the real app (`yuqing.server.build_app`) called as an
ASGI application, one request at a time, with timers wrapped around the parts a request passes through.

Each request's CPU is the process's CPU time across it (time.process_time: the event loop and the thread pool
that runs the store and the ORM). Inside it, each part is timed with its thread's CPU clock (time.thread_time),
exclusive of the parts nested in it, so the parts add up and "routing, middleware, ASGI" is the rest:

- auth: the API token (or session) to a user and its scope, less its SQL
- params + deps: FastAPI's parameter parsing and validation and the dependency tree, less what is nested
- query parse: the textquery parse, the store's plan and the units' synonyms
- store: the mention store's own work (search, get)
- workflow SQL: SQLAlchemy Session.execute/scalar(s) and Connection.execute on the workflow database (incidents,
  users, tokens)
- build models: the routes' `Out.of` / `Out.many` (pydantic models from store rows), less what is nested
- highlights: query-word and scheme-word spans
- response validate+dump: FastAPI validating the returned model against response_model and dumping it to JSON
- JSON render: a JSONResponse's own encoding (routes that return one)

Not inside: the HTTP server (uvicorn's parsing and socket writes) — the load bench's CPU per request less this.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlencode

PARTS = (
    "auth",
    "params + deps",
    "query parse",
    "store",
    "workflow SQL",
    "build models",
    "highlights",
    "response validate+dump",
    "JSON render",
)
REST = "routing, middleware, ASGI"


class Timers:
    """Exclusive thread-CPU time per label: a label's time less that of labels nested in it on the same thread."""

    def __init__(self) -> None:
        self.totals: defaultdict[str, float] = defaultdict(float)
        self._local = threading.local()
        self._lock = threading.Lock()

    def _stack(self) -> list[list[float]]:
        stack: list[list[float]] | None = getattr(self._local, "stack", None)
        if stack is None:
            stack = self._local.stack = []
        return stack

    @contextmanager
    def part(self, label: str) -> Iterator[None]:
        stack = self._stack()
        frame = [time.thread_time(), 0.0]  # start, time of nested parts
        stack.append(frame)
        try:
            yield
        finally:
            spent = time.thread_time() - frame[0]
            stack.pop()
            if stack:
                stack[-1][1] += spent
            with self._lock:
                self.totals[label] += spent - frame[1]

    def wrap(self, label: str, function: Callable[..., Any]) -> Callable[..., Any]:
        if inspect.iscoroutinefunction(function):

            @functools.wraps(function)
            async def timed_async(*args: Any, **kwargs: Any) -> Any:
                with self.part(label):
                    return await function(*args, **kwargs)

            return timed_async

        @functools.wraps(function)
        def timed(*args: Any, **kwargs: Any) -> Any:
            with self.part(label):
                return function(*args, **kwargs)

        return timed


def instrument(timers: Timers, store: object) -> Callable[[], None]:
    """Wrap the parts (module attributes looked up at call time); returns the undo."""
    import fastapi.routing
    import sqlalchemy.engine
    import sqlalchemy.orm
    import starlette.responses

    import alerting.incidents.routes
    import alerting.incidents.schemas
    import api.routes.mentions
    import api.schemas
    import api.search
    import web.access.deps

    patched: list[tuple[object, str, Any]] = []

    def patch(owner: object, name: str, label: str) -> None:
        original = owner.__dict__[name] if isinstance(owner, type) else getattr(owner, name)
        patched.append((owner, name, original))
        if isinstance(original, classmethod):
            setattr(owner, name, classmethod(timers.wrap(label, original.__func__)))
        else:
            setattr(owner, name, timers.wrap(label, original))

    patch(web.access.deps, "resolve", "auth")
    patch(fastapi.routing, "solve_dependencies", "params + deps")
    patch(api.routes.mentions, "parse_query", "query parse")
    patch(api.routes.mentions, "unit_synonyms", "query parse")
    for name in ("search", "get", "get_many"):
        if hasattr(store, name):
            patch(store, name, "store")
    for name in ("execute", "scalar", "scalars"):
        patch(sqlalchemy.orm.Session, name, "workflow SQL")
    # Core selects run on the session's connection (the incident list and page); the mention store is not SQLAlchemy.
    patch(sqlalchemy.engine.Connection, "execute", "workflow SQL")
    for module in (api.schemas, alerting.incidents.schemas, api.routes.mentions):
        for value in vars(module).values():
            if isinstance(value, type) and value.__module__ == module.__name__:
                for name in ("of", "many"):
                    if name in value.__dict__:
                        patch(value, name, "build models")
    # The incident list and page and the search page are written as JSON from plain values: that is their building.
    for name in ("incident_list_json", "incident_detail_json"):
        if hasattr(alerting.incidents.routes, name):
            patch(alerting.incidents.routes, name, "build models")
    if hasattr(api.routes.mentions, "search_json"):  # the search page, likewise
        patch(api.routes.mentions, "search_json", "build models")
    patch(api.routes.mentions, "highlights", "highlights")
    patch(api.schemas, "flag_spans", "highlights")
    patch(fastapi.routing, "serialize_response", "response validate+dump")
    patch(starlette.responses.JSONResponse, "render", "JSON render")

    def undo() -> None:
        for owner, name, original in reversed(patched):
            setattr(owner, name, original)

    return undo


async def call(app: Any, path: str, params: dict[str, str], headers: dict[str, str]) -> int:
    """One GET through the ASGI app; its status."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": urlencode(params).encode(),
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1")] + [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 40000),
        "server": ("127.0.0.1", 80),
        "state": {},
    }
    status = 0

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


Request = tuple[str, str, dict[str, str]]  # kind, path, params


def breakdown(app: Any, store: object, headers: dict[str, str], requests: list[Request], warmup: int = 20) -> str:
    """CPU per request by kind and part, as a table (ms)."""

    async def run() -> tuple[dict[str, list[float]], dict[str, dict[str, float]], list[str]]:
        for _, path, params in requests[:warmup]:
            await call(app, path, params, headers)
        timers = Timers()
        undo = instrument(timers, store)
        totals: dict[str, list[float]] = defaultdict(list)
        parts: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        errors: list[str] = []
        try:
            for kind, path, params in requests:
                timers.totals.clear()
                started = time.process_time()
                status = await call(app, path, params, headers)
                totals[kind].append(time.process_time() - started)
                if status != 200:
                    errors.append(f"{kind} {path} {params}: HTTP {status}")
                for label, spent in timers.totals.items():
                    parts[kind][label] += spent
        finally:
            undo()
        return totals, parts, errors

    totals, parts, errors = asyncio.run(run())
    kinds = list(totals)
    lines = [
        "CPU per request in-process (ms; the app as ASGI, one request at a time, timers' own cost included):",
        f"{'part':<26}" + "".join(f"{k:>12}" for k in kinds),
    ]
    for label in (*PARTS, REST):
        row = []
        for kind in kinds:
            n = len(totals[kind])
            if label == REST:
                value = (sum(totals[kind]) - sum(parts[kind].values())) / n
            else:
                value = parts[kind].get(label, 0.0) / n
            row.append(f"{value * 1000:>12.2f}")
        lines.append(f"{label:<26}" + "".join(row))
    lines.append(f"{'total (mean)':<26}" + "".join(f"{sum(totals[k]) / len(totals[k]) * 1000:>12.2f}" for k in kinds))
    lines.append(
        f"{'total (median)':<26}" + "".join(f"{sorted(totals[k])[len(totals[k]) // 2] * 1000:>12.2f}" for k in kinds)
    )
    lines.append(f"{'requests':<26}" + "".join(f"{len(totals[k]):>12}" for k in kinds))
    if errors:
        lines.append(f"errors: {len(errors)}, first: {errors[0]}")
    return "\n".join(lines)
