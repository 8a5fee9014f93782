"""Latency from analysis flagging a major mention to its first notification arriving, through the real
scheduler pipeline (APScheduler jobs with the default intervals, analysis, rules, clock, Apprise json://
to a receiver on 127.0.0.1). Mentions are written to the store as a crawler would. Prints a table."""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from loopback import receiver  # bench/ is on sys.path when a bench script runs

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
    config = work / "config"
    shutil.copytree(REPO / "config" / "example", config)
    (config / "sources.yaml").write_text("sources: []\n", encoding="utf-8")
    channels = config / "channels.yaml"
    channels.write_text(
        channels.read_text(encoding="utf-8").replace(
            "json://127.0.0.1:8600/demo/inbox", f"json://127.0.0.1:{server.server_address[1]}/inbox"
        ),
        encoding="utf-8",
    )
    settings = Settings(config_dir=config, data_dir=work / "data")  # default job intervals
    services = Services.load(settings)
    pipeline = Pipeline(services)
    pipeline.start()
    random.seed(7)
    try:
        for n in range(args.mentions):
            services.mentions.upsert_many(
                [
                    NewMention(
                        "bench",
                        str(n),
                        f"http://b/{n}",
                        f"城关第一中学学生被殴打住院（{n}）",
                        "城关一中学生被多名同学围殴，头部受伤住院。",
                        unit="county",
                    )
                ]
            )
            time.sleep(random.uniform(0.2, 3.0))
        deadline = time.time() + 60
        while time.time() < deadline and len({m["title"] for _, m in received}) < args.mentions:
            time.sleep(0.2)
    finally:
        pipeline.stop()
    flag_latency, store_latency = [], []
    for n in range(args.mentions):
        mention = services.mentions.get(f"bench:{n}")
        arrivals = [at for at, m in received if f"（{n}）" in m.get("title", "")]
        if mention is None or mention.analysed_at is None or not arrivals:
            continue
        first = datetime.fromtimestamp(min(arrivals), UTC)
        flag_latency.append((first - mention.analysed_at).total_seconds())
        store_latency.append((first - mention.discovered_at).total_seconds())
    services.close()
    server.shutdown()
    shutil.rmtree(work, ignore_errors=True)
    print(
        f"\n{len(flag_latency)} of {args.mentions} major mentions notified "
        f"(analysis every {settings.analysis_interval_seconds:g}s, "
        f"alerting every {settings.alerting_interval_seconds:g}s)\n"
    )
    print(f"{'latency (s)':<44}{'p50':>7}{'p95':>7}{'max':>7}")
    for name, values in (
        ("analysis flags it → first notification", flag_latency),
        ("stored by the crawler → first notification", store_latency),
    ):
        print(f"{name:<44}{statistics.median(values):>7.2f}{pct(values, 0.95):>7.2f}{max(values):>7.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
