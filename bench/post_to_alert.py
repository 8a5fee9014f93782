"""Latency from a post appearing on the sample board to its notifications arriving, with real parts:
the sample board, `yuqing run --no-api` (APScheduler, Scrapy subprocesses, analysis, alerting) and an
Apprise json:// receiver, all on 127.0.0.1. Each post is a distinct story (bench/stories.py), so each must
open its own incident. Prints a table with the service's CPU time beside the wall time; exits 1 naming every
post that was never notified."""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from loopback import receiver  # bench/ is on sys.path when a bench script runs
from runinfo import bench_run  # bench/ is on sys.path when a bench script runs
from stories import major_cases

from config.demo import write_example_config
from yuqing.demo.board import SampleBoard


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--posts", type=int, default=5)
    parser.add_argument("--interval", type=int, default=10, help="crawl interval of the sources, seconds")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="yuqing-bench-"))
    board = SampleBoard.with_seed()
    board_url = board.start()
    server, received = receiver()
    address = f"127.0.0.1:{server.server_address[1]}"
    config = write_example_config(
        work / "config", board_url=board_url, inbox=f"json://{address}/inbox", interval=args.interval
    )
    cases, below = major_cases(config, args.posts)
    env = {**os.environ, "YUQING_ANALYSIS_INTERVAL_SECONDS": "2", "YUQING_ALERTING_INTERVAL_SECONDS": "1"}
    service = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "yuqing",
            "run",
            "--no-api",
            "--config",
            str(config),
            "--data",
            str(work / "data"),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(work / "service.log").open("wb"),
    )
    rows = []
    wall0 = time.perf_counter()
    try:
        time.sleep(args.interval + 15)  # the first crawl of the seed posts
        for n, (title, content) in enumerate(cases):
            post = board.add_post("baixing" if n % 2 == 0 else "tousu", title, content)
            key = title[:20]
            deadline = time.time() + 180
            while time.time() < deadline:
                hits = [at for at, m in received if key in m.get("title", "")]
                if hits and time.time() - max(hits) > 5:  # every recipient of the first alert has had it
                    break
                time.sleep(0.1)
            hits = sorted(at for at, m in received if key in m.get("title", ""))
            start = post.posted_at.timestamp()
            rows.append(
                (
                    n,
                    post.board,
                    len(hits),
                    hits[0] - start if hits else None,
                    hits[-1] - start if hits else None,
                )
            )
            time.sleep((n * 3.7) % args.interval)  # spread posts over the crawl cycle
    finally:
        service.terminate()
        service.wait(timeout=120)
        board.stop()
        server.shutdown()
    wall = time.perf_counter() - wall0
    children = resource.getrusage(resource.RUSAGE_CHILDREN)  # the service and its crawl subprocesses

    print(
        f"\npost on the sample board → notification via Apprise json:// (crawl interval {args.interval}s; "
        f"{len(cases)} distinct stories, {below} generated cases graded below the incident level left out)\n"
    )
    print(f"{'post':>4}  {'board':<8} {'notified':>8}  {'first (s)':>9}  {'last (s)':>8}")
    for n, name, count, first, last in rows:
        print(
            f"{n:>4}  {name:<8} {count:>8}  {first if first is not None else float('nan'):>9.1f}  "
            f"{last if last is not None else float('nan'):>8.1f}"
        )
    firsts = [r[3] for r in rows if r[3] is not None]
    if firsts:
        print(
            f"\nfirst notification: median {statistics.median(firsts):.1f}s, max {max(firsts):.1f}s "
            f"over {len(firsts)} posts"
        )
    print(f"whole run: wall {wall:.1f}s, service CPU {children.ru_utime + children.ru_stime:.1f}s (with its crawls)")
    missed = [f"post {n} {cases[n][0]}" for n, _, count, _, _ in rows if count == 0]
    for line in missed:
        print(f"NEVER NOTIFIED: {line}")
    shutil.rmtree(work, ignore_errors=True)
    return 1 if missed else 0


if __name__ == "__main__":
    with bench_run("post_to_alert"):
        code = main()
    raise SystemExit(code)
