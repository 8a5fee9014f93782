"""Latency from a post appearing on the sample board to its notifications arriving, with real parts:
the sample board, `yuqing run --no-api` (APScheduler, Scrapy subprocesses, analysis, alerting) and an
Apprise json:// receiver, all on 127.0.0.1. Prints a table."""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from loopback import receiver  # bench/ is on sys.path when a bench script runs

from yuqing.demo.board import SampleBoard

REPO = Path(__file__).resolve().parent.parent
CASES = [
    (
        "城关第一中学学生遭多人殴打住院（{n}）",
        "城关一中学生被几名同学围殴，头部受伤住院，家长要求学校给说法。",
    ),
    ("县一中食堂午餐变质多名学生呕吐（{n}）", "城关县一中食堂午餐有异味，多名学生饭后呕吐腹泻，已送医。"),
]


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
    config = work / "config"
    shutil.copytree(REPO / "config" / "example", config)
    for path in config.glob("*.yaml"):
        text = path.read_text(encoding="utf-8").replace("http://127.0.0.1:8601", board_url)
        text = text.replace("json://127.0.0.1:8600/demo/inbox", f"json://{address}/inbox")
        text = text.replace("interval_seconds: 10", f"interval_seconds: {args.interval}")
        path.write_text(text, encoding="utf-8")
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
    try:
        time.sleep(args.interval + 15)  # the first crawl of the seed posts
        for n in range(args.posts):
            title, content = CASES[n % len(CASES)]
            post = board.add_post("baixing" if n % 2 == 0 else "tousu", title.format(n=n), content)
            key = title.format(n=n)[:20]
            deadline = time.time() + 180
            while time.time() < deadline:
                hits = [at for at, m in received if key in m.get("title", "")]
                if len(hits) >= 5:
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

    print(f"\npost on the sample board → notification via Apprise json:// (crawl interval {args.interval}s)\n")
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
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
