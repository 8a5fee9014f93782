"""Load generators for the API benches: closed-loop clients that send one GET after another on a kept-alive
connection and record each request's latency by kind.

- `raw` (the default): HTTP/1.1 written and read on asyncio streams, a connection per client. It does only what
  the bench needs (GET, Content-Length or chunked bodies, keep-alive), so the generator costs a fraction of the
  server's CPU per request and leaves the shared cores to the server it measures.
- `httpx`: httpx.AsyncClient, as the bench used before: a full client whose own CPU per request is about the
  server's, which on a 2-core box takes the server's core away from it.

Both report the generator's own CPU time (`Load.cpu`), so a table can show what the measuring cost.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

import httpx

Request = tuple[str, str, dict[str, str]]  # kind, path, query parameters
NextRequest = Callable[[random.Random], Request]
GENERATORS = ("raw", "httpx")
MAX_REQUESTS = 1_000_000


@dataclass
class Load:
    latencies: dict[str, list[float]] = field(default_factory=dict)  # seconds, by kind
    errors: Counter[str] = field(default_factory=Counter)
    elapsed: float = 0.0  # wall seconds of the measured run
    cpu: float = 0.0  # the generator's own CPU seconds (this process) over the run
    server_cpu: float = 0.0  # the server's CPU seconds over the run (from the `server_cpu` probe given)

    @property
    def total(self) -> int:
        return sum(len(v) for v in self.latencies.values())


class HttpError(Exception):
    """The server's answer was not HTTP this client understands, or the connection closed mid-answer."""


class RawConnection:
    """One kept-alive HTTP/1.1 connection; reconnects when the server closed it."""

    def __init__(self, host: str, port: int, headers: dict[str, str]) -> None:
        self.host, self.port = host, port
        lines = [f"Host: {host}:{port}", *(f"{k}: {v}" for k, v in headers.items())]
        self._head = ("\r\n".join(lines) + "\r\n\r\n").encode()
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def get(self, target: str) -> tuple[int, bytes]:
        """GET `target` (path and query); (status, body). A connection the server closed while idle is opened
        again once; a failure mid-request is an HttpError."""
        for attempt in (0, 1):
            fresh = self._writer is None
            if fresh:
                self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
            assert self._reader is not None and self._writer is not None
            try:
                self._writer.write(b"GET " + target.encode() + b" HTTP/1.1\r\n" + self._head)
                return await self._read_answer(self._reader)
            except (ConnectionError, asyncio.IncompleteReadError) as exc:
                self.close()
                if fresh or attempt:  # not an idle connection closed under us: a real failure
                    raise HttpError(f"{type(exc).__name__}: {exc}") from None
        raise AssertionError("unreachable")

    async def _read_answer(self, reader: asyncio.StreamReader) -> tuple[int, bytes]:
        head = await reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        parts = status_line.split(" ", 2)
        if len(parts) < 2 or not parts[1].isdigit():
            raise HttpError(f"bad status line {status_line!r}")
        headers: dict[str, str] = {}
        for line in header_lines:
            if ":" in line:
                name, value = line.split(":", 1)
                headers[name.strip().lower()] = value.strip()
        if "content-length" in headers:
            body = await reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            body = await _read_chunked(reader)
        else:
            raise HttpError("an answer without Content-Length or chunked encoding")
        if headers.get("connection", "").lower() == "close":
            self.close()
        return int(parts[1]), body

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self._reader = self._writer = None


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    chunks: list[bytes] = []
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";", 1)[0].strip(), 16)
        if size == 0:
            while (await reader.readuntil(b"\r\n")) != b"\r\n":  # trailers, then the blank line
                pass
            return b"".join(chunks)
        chunks.append(await reader.readexactly(size))
        await reader.readexactly(2)


def target(path: str, params: dict[str, str]) -> str:
    return f"{path}?{urlencode(params)}" if params else path


async def run_load(
    generator: str,
    base: str,
    headers: dict[str, str],
    *,
    clients: int,
    duration: float,
    next_request: NextRequest,
    warmup: list[Request] | None = None,
    server_cpu: Callable[[], float] = lambda: 0.0,
) -> Load:
    """`clients` closed-loop clients for `duration` seconds, client i drawing its requests from
    `next_request(random.Random(i))`. `warmup` requests are sent first and not measured. `server_cpu` reads the
    server's CPU seconds so far: read when the measured run starts and when it ends."""
    if generator not in GENERATORS:
        raise ValueError(f"generator must be one of {GENERATORS}")
    load = Load()
    if generator == "raw":
        split = urlsplit(base)
        host, port = split.hostname or "127.0.0.1", split.port or 80
        connections = [RawConnection(host, port, headers) for _ in range(clients)]
        try:
            for _, path, params in warmup or []:
                await connections[0].get(target(path, params))

            async def send(i: int, path: str, params: dict[str, str]) -> int:
                status, _ = await connections[i].get(target(path, params))
                return status

            await _measure(load, send, clients, duration, next_request, (HttpError, OSError), server_cpu)
        finally:
            for connection in connections:
                connection.close()
        return load
    # Reuse an idle connection for 2 s at most: uvicorn closes idle ones after 5 s, and httpx's default (5 s)
    # races that close — a request sent on a connection the server is closing fails with ReadError.
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients, keepalive_expiry=2.0)
    async with httpx.AsyncClient(headers=headers, limits=limits, timeout=httpx.Timeout(30)) as http:
        for _, path, params in warmup or []:
            await http.get(base + path, params=params)

        async def send_httpx(i: int, path: str, params: dict[str, str]) -> int:
            return (await http.get(base + path, params=params)).status_code

        await _measure(load, send_httpx, clients, duration, next_request, (httpx.HTTPError,), server_cpu)
    return load


async def _measure(
    load: Load,
    send: Callable[[int, str, dict[str, str]], Awaitable[int]],
    clients: int,
    duration: float,
    next_request: NextRequest,
    failures: tuple[type[BaseException], ...],
    server_cpu: Callable[[], float],
) -> None:
    started, cpu, server = time.monotonic(), time.process_time(), server_cpu()
    deadline = started + duration

    async def client(i: int) -> None:
        rng = random.Random(i)
        while time.monotonic() < deadline and load.total < MAX_REQUESTS:
            kind, path, params = next_request(rng)
            began = time.perf_counter()
            try:
                status = await send(i, path, params)
            except failures as exc:
                load.errors[f"{kind}: {type(exc).__name__} {exc}"[:200]] += 1
                continue
            if status != 200:
                load.errors[f"{kind}: HTTP {status}"] += 1
                continue
            load.latencies.setdefault(kind, []).append(time.perf_counter() - began)

    await asyncio.gather(*(client(i) for i in range(clients)))
    load.elapsed, load.cpu = time.monotonic() - started, time.process_time() - cpu
    load.server_cpu = server_cpu() - server
