"""The live alert feed (SSE, /api/v1/feed) delivering to many connected clients at once.

Starts the real API (`yuqing run --no-scheduler`, uvicorn) on 127.0.0.1, connects N SSE clients (httpx, one
asyncio loop in this process), then opens incidents through the real alerting rules (posts stored, analysed,
rules run), one every --every seconds. Every timeline entry is an event. Prints, per event, the time from the
commit of the incident's transaction to each client receiving it (p50/p95/max), and whether every client got
every event. Bounded: stops after the last event arrives everywhere or --timeout seconds.

    python bench/feed_clients.py [--clients 200] [--incidents 20] [--every 0.5]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
from apiserver import api_server, bench_config  # bench/ is on sys.path when a bench script runs
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


async def listen(http: httpx.AsyncClient, base: str, client: Client, stop: asyncio.Event) -> None:
    try:
        async with http.stream("GET", f"{base}/api/v1/feed", params={"after": 0}) as response:
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


async def run(args: argparse.Namespace, base: str, headers: dict[str, str], services: Services) -> int:
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
        committed = await asyncio.to_thread(create_incidents, services, args.incidents, args.every)
        wanted = set(committed)
        deadline = time.monotonic() + args.timeout
        while time.monotonic() < deadline and any(not wanted <= set(c.received) for c in clients if not c.error):
            await asyncio.sleep(0.2)
        stop.set()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    latencies = [c.received[e] - committed[e] for c in clients for e in wanted if e in c.received]
    complete = sum(1 for c in clients if wanted <= set(c.received))
    got = sum(len(wanted & set(c.received)) for c in clients)
    print(f"\nlive feed: {args.clients} SSE clients on one API process (uvicorn, feed poll 1 s), loopback")
    print(f"{'clients connected':<42} {args.clients - len(failed):>8} (in {connect_s:.1f} s)")
    print(f"{'incidents opened':<42} {args.incidents:>8}")
    print(f"{'events (timeline entries)':<42} {len(wanted):>8}")
    print(f"{'deliveries expected / received':<42} {len(wanted) * args.clients:>8} / {got}")
    print(f"{'clients that got every event':<42} {complete:>8}")
    if latencies:
        print(f"{'latency commit -> client, p50':<42} {pct(latencies, 50) * 1000:>8.0f} ms")
        print(f"{'latency commit -> client, p95':<42} {pct(latencies, 95) * 1000:>8.0f} ms")
        print(f"{'latency commit -> client, max':<42} {max(latencies) * 1000:>8.0f} ms")
        print(f"{'latency commit -> client, mean':<42} {statistics.mean(latencies) * 1000:>8.0f} ms")
    for c in [c for c in clients if c.error][:5]:
        print(f"client {c.index}: {c.error}")
    return 0 if complete == args.clients else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--incidents", type=int, default=20)
    parser.add_argument("--every", type=float, default=0.5, help="seconds between incidents")
    parser.add_argument("--timeout", type=float, default=60, help="seconds to wait for the last event")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="yuqing-feed-bench-"))
    config = bench_config(work)
    services = Services.load(Settings(config_dir=config, data_dir=work / "data"))
    try:
        with api_server(config, work / "data") as (base, headers):
            return asyncio.run(run(args, base, headers, services))
    finally:
        services.close()


if __name__ == "__main__":
    sys.exit(main())
