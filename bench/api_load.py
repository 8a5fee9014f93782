"""The API under concurrent clients on loopback: mixed search, incident list and mention detail.

Starts the real API (`yuqing run --no-scheduler`, uvicorn) on 127.0.0.1 over a mention store of --mentions
(built once with bench/search_latency.py's generator and cached at --db; each run works on a copy) and a
workflow database with --incidents incidents opened by the real rules. Then --clients asyncio clients send
requests back to back for --duration seconds: half searches (a word, a unit or source filter, negative
sentiment, the API's term aggregations and a daily histogram), a quarter incident lists, a quarter mention
details. Prints requests/s, p50/p95/max per kind and the errors (target 0), the API's CPU time beside the wall
time, and its memory: RSS beside PSS (proportional; RSS counts the store file once per pooled connection that
maps it), peak and at the end. Bounded in time and count.

    python bench/api_load.py [--clients 50] [--duration 60] [--mentions 200000] [--workers 1] [--out DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import sys
import tempfile
from contextlib import suppress
from datetime import UTC, datetime
from pathlib import Path

from api_breakdown import breakdown  # bench/ is on sys.path when a bench script runs
from apiserver import REPO, api_server, bench_config, bench_token, cpu_seconds
from loadgen import GENERATORS, Load, run_load
from runinfo import Memory, bench_run, memory
from search_latency import SOURCES, UNITS, ensure_db
from sqlalchemy import select

from alerting.incidents.models import Incident
from alerting.rules import run_rules
from analysis.job import analyse_pending
from config import Settings
from store.mentions import NewMention
from yuqing.services import Services

WORDS = ["学校", "食堂", "拖欠", "物业", "补课", "污水", "投诉", "工资", "小区", "医院"]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


def seed_incidents(services: Services, count: int) -> None:
    rng = random.Random(3)
    filler = "家长反映情况老师学校门口下午放学路上发生冲突随后送医检查目前正在调查处理中希望有关部门尽快给出说法"
    for n in range(count):
        text = "".join(rng.choice(filler) for _ in range(80))
        services.mentions.upsert_many(
            [
                NewMention(
                    "bench",
                    f"i{n}",
                    f"http://b/i{n}",
                    f"城关第一中学学生被殴打住院（{n}）",
                    f"城关一中学生被围殴受伤住院。{text}",
                    unit="county",
                )
            ]
        )
    analyse_pending(services.mentions, services.analyser, sessions=services.sessions, max_batches=10**6)
    run_rules(
        services.mentions,
        services.sessions,
        services.config,
        services.playbooks,
        base_url="http://x",
        now=datetime.now(UTC),
    )


def next_request(rng: random.Random, ids: list[str], fresh: bool = False) -> tuple[str, str, dict[str, str]]:
    """The bench's mix: half searches, a quarter incident lists, a quarter mention details. `fresh`: every
    search a different one (a `since` before all the data, to the microsecond): none is answered from the
    store's recent results."""
    roll = rng.random()
    if roll < 0.5:
        params: dict[str, str] = {"q": rng.choice(WORDS), "sentiment": "negative", "histogram": "day"}
        if fresh:
            params["since"] = f"2020-01-01T00:00:00.{rng.randrange(10**6):06d}+00:00"
        if rng.random() < 0.5:
            params["unit"] = rng.choice(UNITS[:10])
        else:
            params["source"] = rng.choice(SOURCES[:6])
        return "search", "/api/v1/mentions", params
    if roll < 0.75:
        return "incidents", "/api/v1/incidents", {}
    return "mention", f"/api/v1/mentions/{rng.choice(ids)}", {}


def in_process_breakdown(services: Services, config: Path, data: Path, ids: list[str], count: int, fresh: bool) -> None:
    """The app in this process (the bench's mix plus incident details), CPU per request by part. The heap is
    settled as the server settles it (yuqing.server.settle_heap)."""
    from yuqing.server import build_app, settle_heap

    env = dict(os.environ, YUQING_CONFIG_DIR=str(config), YUQING_DATA_DIR=str(data))
    headers = bench_token(env)
    with services.sessions() as session:
        incident_ids = list(session.scalars(select(Incident.id).order_by(Incident.id)))
    rng = random.Random(7)
    requests = [next_request(rng, ids, fresh) for _ in range(count)]
    requests += [("incident", f"/api/v1/incidents/{rng.choice(incident_ids)}", {}) for _ in range(count // 4)]
    rng.shuffle(requests)
    app = build_app(services)
    settle_heap()
    print(breakdown(app, services.mentions, headers, requests))


async def sample_memory(pid: int, stop: asyncio.Event, samples: list[Memory]) -> None:
    """The API's memory once a second while the clients run (its peak is what monitoring would alarm on)."""
    while not stop.is_set():
        samples.append(memory(pid))
        with suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 1)


async def load(
    args: argparse.Namespace, base: str, headers: dict[str, str], ids: list[str], pid: int, samples: list[Memory]
) -> Load:
    stop = asyncio.Event()
    sampler = asyncio.create_task(sample_memory(pid, stop, samples))
    try:
        # Warm-up (not measured): the server's first search loads jieba's dictionary.
        return await run_load(
            args.generator,
            base,
            headers,
            clients=args.clients,
            duration=args.duration,
            next_request=lambda rng: next_request(rng, ids, args.fresh),
            warmup=[("search", "/api/v1/mentions", {"q": word}) for word in WORDS],
            server_cpu=lambda: cpu_seconds(pid),
        )
    finally:
        stop.set()
        await sampler
        samples.append(memory(pid))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--duration", type=float, default=60)
    parser.add_argument("--mentions", type=int, default=200_000)
    parser.add_argument("--incidents", type=int, default=100)
    parser.add_argument("--workers", type=int, default=1, help="API worker processes")
    parser.add_argument("--db", type=Path, default=Path("/var/tmp/yuqing-bench/mentions-200k.sqlite3"))
    parser.add_argument("--breakdown", type=int, default=400, help="requests in the in-process CPU breakdown (0: none)")
    parser.add_argument(
        "--fresh", action="store_true", help="every search a different one: none answered from recent results"
    )
    parser.add_argument("--no-load", action="store_true", help="the breakdown only, no server under load")
    parser.add_argument(
        "--generator", choices=GENERATORS, default="raw", help="raw: lean asyncio HTTP/1.1 (default); httpx"
    )
    parser.add_argument(
        "--server-repo", type=Path, default=REPO, help="the checkout whose server runs (another branch's, side by side)"
    )
    args = parser.parse_args()
    ensure_db(args.db, args.mentions)
    work = Path(tempfile.mkdtemp(prefix="yuqing-api-bench-"))
    data = work / "data"
    data.mkdir()
    shutil.copyfile(args.db, data / "mentions.sqlite3")
    config = bench_config(work)
    services = Services.load(Settings(config_dir=config, data_dir=data))
    try:
        seed_incidents(services, args.incidents)
        rng = random.Random(1)
        ids = [f"{rng.choice(SOURCES)}:{n}" for n in rng.sample(range(args.mentions), 2000)]
        ids = [m.id for m in services.mentions.get_many(ids)]
        if args.breakdown:
            in_process_breakdown(services, config, data, ids, args.breakdown, args.fresh)
        if args.no_load:
            return 0
        pid: list[int] = []
        samples: list[Memory] = []
        with api_server(config, data, workers=args.workers, pid=pid, repo=args.server_repo) as (base, headers):
            result = asyncio.run(load(args, base, headers, ids, pid[0], samples))
    finally:
        services.close()
        shutil.rmtree(work, ignore_errors=True)
    out, errors, elapsed, total = result.latencies, result.errors, result.elapsed, result.total
    api_cpu = result.server_cpu
    searches = "fresh searches (none answered from recent results)" if args.fresh else "repeated searches"
    print(f"\nAPI under {args.clients} concurrent clients for {elapsed:.0f} s, loopback, {args.workers} worker(s),")
    print(f"{args.mentions:,} mentions, {args.incidents} incidents, {searches}; server {args.server_repo}")
    print(f"{'kind':<12} {'requests':>9} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    for kind in ("search", "incidents", "mention"):
        values = out.get(kind, [])
        if values:
            print(
                f"{kind:<12} {len(values):>9} {len(values) / elapsed:>8.1f} {pct(values, 50) * 1000:>8.1f}"
                f" {pct(values, 95) * 1000:>8.1f} {max(values) * 1000:>8.1f}"
            )
    everything = [t for v in out.values() for t in v]
    if everything:
        print(
            f"{'all':<12} {total:>9} {total / elapsed:>8.1f} {pct(everything, 50) * 1000:>8.1f}"
            f" {pct(everything, 95) * 1000:>8.1f} {max(everything) * 1000:>8.1f}"
        )
    print(
        f"API CPU {api_cpu:.1f} s over {elapsed:.1f} s wall ({api_cpu / elapsed:.2f} cores),"
        f" {api_cpu / max(total, 1) * 1000:.2f} ms CPU a request, {total / max(api_cpu, 1e-9):.1f} req per CPU-second"
    )
    print(
        f"generator ({args.generator}) CPU {result.cpu:.1f} s ({result.cpu / max(total, 1) * 1000:.2f} ms a request);"
        f" load average {' '.join(f'{v:.2f}' for v in os.getloadavg())} at the end"
    )
    peak, last = max(samples, key=lambda m: m.pss_mb), samples[-1]
    print(f"{'API memory MB':<14} {'RSS':>8} {'PSS':>8} {'PSS anon':>9} {'PSS file':>9}")
    for label, m in (("peak (by PSS)", peak), ("at the end", last)):
        print(f"{label:<14} {m.rss_mb:>8.0f} {m.pss_mb:>8.0f} {m.pss_anon_mb:>9.0f} {m.pss_file_mb:>9.0f}")
    print(f"{'peak RSS':<14} {max(m.rss_mb for m in samples):>8.0f}")
    print(f"errors: {sum(errors.values())}" + "".join(f"\n  {k}: {n}" for k, n in errors.most_common()))
    return 0 if not errors else 1


if __name__ == "__main__":
    with bench_run("api_load"):
        code = main()
    sys.exit(code)
