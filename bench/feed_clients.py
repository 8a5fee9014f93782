"""The live alert feed (SSE, /api/v1/feed) delivering to many connected clients at once.

Starts the real API (`yuqing run --no-scheduler`, uvicorn) on 127.0.0.1, connects N SSE clients (httpx, one
asyncio loop in this process), measures the API process's CPU while they sit idle (--idle seconds), then opens
incidents through the real alerting rules (posts stored, analysed, rules run: this process is the scheduler, the
API hears of the commit as it would in production), one every --every seconds. Every timeline entry is an event.
Prints, per event, the time from the commit of the incident's transaction to each client receiving it
(p50/p95/max), whether every client got every event, the API's CPU idle and busy, the load average, and in the
same run the push floor (bench/push_floor.py: a bare Starlette SSE broadcast on the same stack, no database) with
the same clients. Bounded: stops after the last event arrives everywhere or --timeout seconds.

    python bench/feed_clients.py [--clients 200] [--incidents 20] [--every 0.5] [--idle 20] [--postgres]

--postgres: the workflow store in a fresh database on the PostgreSQL server at 127.0.0.1:5432 (LISTEN/NOTIFY);
otherwise SQLite (the file's data version).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx
from apiserver import api_server, bench_config, cpu_seconds, free_port  # bench/ is on sys.path
from runinfo import Memory, bench_run, memory  # bench/ is on sys.path when a bench script runs
from sqlalchemy import func, select

from alerting.incidents.models import TimelineEntry
from alerting.rules import run_rules
from analysis.job import analyse_pending
from config import Settings
from store.mentions import NewMention
from yuqing.services import Services

FILLER = "家长反映情况老师学校门口下午放学路上发生冲突随后送医检查目前正在调查处理中希望有关部门尽快给出说法"


class Client:
    def __init__(self, index: int) -> None:
        self.index = index
        self.received: dict[int, float] = {}  # event id -> when it arrived (time.time())
        self.connected = asyncio.Event()
        self.error: str | None = None


async def listen(
    http: httpx.AsyncClient, base: str, client: Client, stop: asyncio.Event, path: str = "/api/v1/feed"
) -> None:
    try:
        async with http.stream("GET", f"{base}{path}") as response:
            response.raise_for_status()
            event_id: int | None = None
            async for line in response.aiter_lines():
                if line.startswith("event: hello"):
                    client.connected.set()
                elif line.startswith("id: "):
                    event_id = int(line[4:])
                elif line.startswith("data: ") and event_id is not None:
                    client.received.setdefault(event_id, time.time())
                    event_id = None
                if stop.is_set():
                    return
    except (httpx.HTTPError, asyncio.CancelledError) as exc:
        if not stop.is_set():
            client.error = f"{type(exc).__name__}: {exc}"
        client.connected.set()


def create_incidents(services: Services, count: int, every: float) -> dict[int, float]:
    """Open `count` incidents through the real rules; returns event id -> when its transaction committed."""
    committed: dict[int, float] = {}
    rng = random.Random(11)
    for n in range(count):
        # Different stories (else the same-story check makes them one incident): a shared core, different words.
        filler = "".join(rng.choice(FILLER) for _ in range(80))
        services.mentions.upsert_many(
            [
                NewMention(
                    "bench",
                    str(n),
                    f"http://b/{n}",
                    f"城关第一中学学生被殴打住院（{n}）",
                    f"城关一中学生被多名同学围殴受伤住院。{filler}",
                    unit="county",
                )
            ]
        )
        analyse_pending(services.mentions, services.analyser, sessions=services.sessions)
        with services.sessions() as session:
            before = int(session.scalar(select(func.max(TimelineEntry.id))) or 0)
        run_rules(
            services.mentions,
            services.sessions,
            services.config,
            services.playbooks,
            base_url="http://127.0.0.1",
            now=datetime.now(UTC),
        )
        done = time.time()  # the rules' transaction has committed: from now on a poll can see the entries
        with services.sessions() as session:
            for entry_id in session.scalars(select(TimelineEntry.id).where(TimelineEntry.id > before)):
                committed[entry_id] = done
        time.sleep(every)
    return committed


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


async def run(args: argparse.Namespace, base: str, headers: dict[str, str], services: Services, pid: int) -> int:
    stop = asyncio.Event()
    clients = [Client(i) for i in range(args.clients)]
    limits = httpx.Limits(max_connections=args.clients + 10, max_keepalive_connections=args.clients + 10)
    timeout = httpx.Timeout(connect=30, read=None, write=30, pool=30)
    async with httpx.AsyncClient(headers=headers, limits=limits, timeout=timeout) as http:
        tasks = [asyncio.create_task(listen(http, base, c, stop)) for c in clients]
        started = time.monotonic()
        await asyncio.wait_for(asyncio.gather(*(c.connected.wait() for c in clients)), timeout=60)
        connect_s = time.monotonic() - started
        failed = [c for c in clients if c.error]
        await asyncio.sleep(2)  # let the connections settle before the idle window
        idle_cpu, idle_wall = cpu_seconds(pid), time.monotonic()
        await asyncio.sleep(args.idle)
        idle_cpu, idle_wall = cpu_seconds(pid) - idle_cpu, time.monotonic() - idle_wall
        held = memory(pid)  # the API holding every stream, idle
        busy_cpu, busy_wall = cpu_seconds(pid), time.monotonic()
        committed = await asyncio.to_thread(create_incidents, services, args.incidents, args.every)
        wanted = set(committed)
        deadline = time.monotonic() + args.timeout
        while time.monotonic() < deadline and any(not wanted <= set(c.received) for c in clients if not c.error):
            await asyncio.sleep(0.2)
        busy_cpu, busy_wall = cpu_seconds(pid) - busy_cpu, time.monotonic() - busy_wall
        flowed = memory(pid)
        stop.set()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    latencies = [c.received[e] - committed[e] for c in clients for e in wanted if e in c.received]
    complete = sum(1 for c in clients if wanted <= set(c.received))
    got = sum(len(wanted & set(c.received)) for c in clients)
    floor = await push_floor(args) if not args.no_floor else []
    store = "PostgreSQL (LISTEN/NOTIFY)" if args.postgres else "SQLite (data version)"
    print(f"\nlive feed: {args.clients} SSE clients on one API process (uvicorn), workflow store {store}, loopback")
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"{'clients connected':<46} {args.clients - len(failed):>8} (in {connect_s:.1f} s)")
    print(f"{'incidents opened':<46} {args.incidents:>8}")
    print(f"{'events (timeline entries)':<46} {len(wanted):>8}")
    print(f"{'deliveries expected / received':<46} {len(wanted) * args.clients:>8} / {got}")
    print(f"{'clients that got every event':<46} {complete:>8}")
    for label, cpu, wall in (("idle", idle_cpu, idle_wall), ("while events flow", busy_cpu, busy_wall)):
        print(f"{'API CPU, ' + label:<46} {cpu / wall:>8.1%} of a core ({cpu:.2f} s in {wall:.0f} s)")
    print_memory(args.clients, held, flowed)
    if latencies:
        print(f"\n{'latency commit -> client (ms)':<46} {'p50':>8} {'p95':>8} {'max':>8} {'mean':>8}")
        rows = [("Yuqing /api/v1/feed", latencies)]
        if floor:
            rows.append(("floor: bare SSE broadcast, same clients", floor))
        for label, values in rows:
            print(
                f"{label:<46} {pct(values, 50) * 1000:>8.0f} {pct(values, 95) * 1000:>8.0f}"
                f" {max(values) * 1000:>8.0f} {statistics.mean(values) * 1000:>8.0f}"
            )
    for c in [c for c in clients if c.error][:5]:
        print(f"client {c.index}: {c.error}")
    return 0 if complete == args.clients else 1


def print_memory(clients: int, held: Memory, flowed: Memory) -> None:
    """The API's memory: PSS (proportional: shared pages divided among their mappers) beside RSS."""
    print(f"{'API memory MB':<46} {'RSS':>8} {'PSS':>8} {'PSS anon':>9} {'PSS file':>9}")
    for label, m in ((f"{clients} streams idle", held), ("after the events", flowed)):
        print(f"{label:<46} {m.rss_mb:>8.0f} {m.pss_mb:>8.0f} {m.pss_anon_mb:>9.0f} {m.pss_file_mb:>9.0f}")


async def push_floor(args: argparse.Namespace) -> list[float]:
    """The same number of clients on bench/push_floor.py, the same number of events: push → client latency."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("push_floor.py")), str(port)], stderr=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                await asyncio.sleep(0.1)
        stop = asyncio.Event()
        clients = [Client(i) for i in range(args.clients)]
        limits = httpx.Limits(max_connections=args.clients + 10, max_keepalive_connections=args.clients + 10)
        timeout = httpx.Timeout(connect=30, read=None, write=30, pool=30)
        async with httpx.AsyncClient(limits=limits, timeout=timeout) as http:
            tasks = [asyncio.create_task(listen(http, base, c, stop, "/feed")) for c in clients]
            await asyncio.wait_for(asyncio.gather(*(c.connected.wait() for c in clients)), timeout=60)
            sent: dict[int, float] = {}
            async with httpx.AsyncClient() as pusher:
                for n in range(1, args.incidents * 2 + 1):  # about as many events as the incidents gave
                    sent[n] = time.time()
                    await pusher.post(f"{base}/push", content=str(n))
                    await asyncio.sleep(args.every)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and any(not set(sent) <= set(c.received) for c in clients):
                await asyncio.sleep(0.1)
            stop.set()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        return [c.received[e] - sent[e] for c in clients for e in sent if e in c.received]
    finally:
        server.terminate()
        server.wait(timeout=10)


@contextmanager
def postgres_database() -> Iterator[str]:
    """A fresh database on the local PostgreSQL server, dropped afterwards."""
    import psycopg

    admin = "postgresql://postgres@127.0.0.1:5432/postgres"
    name = f"yuqing_feed_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--incidents", type=int, default=20)
    parser.add_argument("--every", type=float, default=0.5, help="seconds between incidents")
    parser.add_argument("--timeout", type=float, default=60, help="seconds to wait for the last event")
    parser.add_argument("--idle", type=float, default=20, help="seconds of idle clients to measure the API's CPU")
    parser.add_argument("--postgres", action="store_true", help="workflow store on PostgreSQL at 127.0.0.1:5432")
    parser.add_argument("--no-floor", action="store_true", help="leave out the push floor")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="yuqing-feed-bench-"))
    config = bench_config(work)
    with postgres_database() if args.postgres else _no_database() as workflow_db:
        services = Services.load(Settings(config_dir=config, data_dir=work / "data", workflow_db=workflow_db))
        pid: list[int] = []
        try:
            with api_server(config, work / "data", workflow_db=workflow_db, pid=pid) as (base, headers):
                return asyncio.run(run(args, base, headers, services, pid[0]))
        finally:
            services.close()


@contextmanager
def _no_database() -> Iterator[None]:
    yield None


if __name__ == "__main__":
    with bench_run("feed_clients"):
        code = main()
    sys.exit(code)
