"""Latency from analysis flagging a major mention to its first notification arriving, through the real
scheduler pipeline (APScheduler jobs with the default intervals, analysis, rules, clock, Apprise json://
to a receiver on 127.0.0.1). Mentions are written to the store as a crawler would, each a distinct story
(bench/stories.py), so each must open its own incident. Prints a table with the process's CPU time beside the
wall time; exits 1 naming every mention that was never notified."""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from loopback import config_to_receiver, receiver  # bench/ is on sys.path when a bench script runs
from runinfo import bench_run  # bench/ is on sys.path when a bench script runs
from stories import major_cases

from config import Settings
from store.mentions import NewMention
from yuqing.scheduler import Pipeline
from yuqing.services import Services

REPO = Path(__file__).resolve().parent.parent


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mentions", type=int, default=40)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="yuqing-bench-"))
    server, received = receiver()
    config = config_to_receiver(REPO / "config" / "example", work / "config", server.server_address[1])
    settings = Settings(config_dir=config, data_dir=work / "data")  # default job intervals
    services = Services.load(settings)
    pipeline = Pipeline(services)
    pipeline.start()
    cases, below = major_cases(config, args.mentions)
    random.seed(7)
    wall0, cpu0 = time.perf_counter(), time.process_time()
    try:
        for n, (title, content) in enumerate(cases):
            services.mentions.upsert_many([NewMention("bench", str(n), f"http://b/{n}", title, content, unit="county")])
            time.sleep(random.uniform(0.2, 3.0))
        deadline = time.time() + 60
        while time.time() < deadline and len({m["title"] for _, m in received}) < len(cases):
            time.sleep(0.2)
    finally:
        pipeline.stop()
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    flag_latency, store_latency, missed = [], [], []
    for n, (title, _) in enumerate(cases):
        mention = services.mentions.get(f"bench:{n}")
        arrivals = [at for at, m in received if title in m.get("title", "")]
        if mention is None or mention.analysed_at is None or not arrivals:
            missed.append(f"bench:{n} {title}")
            continue
        first = datetime.fromtimestamp(min(arrivals), UTC)
        flag_latency.append((first - mention.analysed_at).total_seconds())
        store_latency.append((first - mention.discovered_at).total_seconds())
    services.close()
    server.shutdown()
    shutil.rmtree(work, ignore_errors=True)
    print(
        f"\n{len(flag_latency)} of {len(cases)} major mentions (distinct stories) notified "
        f"(analysis every {settings.analysis_interval_seconds:g}s, "
        f"alerting every {settings.alerting_interval_seconds:g}s; {below} generated cases graded below the "
        f"incident level were left out)\n"
    )
    if flag_latency:
        print(f"{'latency (s)':<44}{'p50':>7}{'p95':>7}{'max':>7}")
        for name, values in (
            ("analysis flags it → first notification", flag_latency),
            ("stored by the crawler → first notification", store_latency),
        ):
            print(f"{name:<44}{statistics.median(values):>7.2f}{pct(values, 0.95):>7.2f}{max(values):>7.2f}")
    print(f"\nwhole run: wall {wall:.1f}s, CPU {cpu:.1f}s (this process: scheduler, analysis, alerting, receiver)")
    for line in missed:
        print(f"NEVER NOTIFIED: {line}")
    return 1 if missed else 0


if __name__ == "__main__":
    with bench_run("flag_to_alert"):
        code = main()
    raise SystemExit(code)
