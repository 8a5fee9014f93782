"""A major post crawled behind a backlog: how long until its incident is open and its first alert arrives.

The real scheduler pipeline (APScheduler jobs with the default intervals; analysis, rules, clock, Apprise json://
to a receiver on 127.0.0.1) over a store holding --backlog real posts not yet analysed (../shared/data, as the
analysis bench reads them; stored before the clock starts). Once the analysis job is working on the backlog,
--majors distinct major cases (bench/stories.py) are stored one every --every seconds, as a crawler would. Prints
per case the time from being stored to its incident opening and to its first notification, how much of the
backlog was still waiting then, the process's CPU time beside the wall time, and the load average. Exits 1 naming
a case that was never notified within --timeout seconds.

    python bench/backlog_to_incident.py [--backlog 20000] [--majors 3] [--every 5] [--timeout 900]
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

from analysis_speed import real_texts  # bench/ is on sys.path when a bench script runs
from loopback import config_to_receiver, receiver
from runinfo import bench_run  # bench/ is on sys.path when a bench script runs
from sqlalchemy import select
from stories import major_cases

from alerting.incidents.models import Incident
from config import Settings
from store.mentions import NewMention
from yuqing.scheduler import Pipeline
from yuqing.services import Services

REPO = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--backlog", type=int, default=20_000)
    parser.add_argument("--majors", type=int, default=3)
    parser.add_argument("--every", type=float, default=5.0, help="seconds between the major posts")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds to wait for the last alert")
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared" / "data")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="yuqing-bench-"))
    server, received = receiver()
    config = config_to_receiver(REPO / "config" / "example", work / "config", server.server_address[1])
    settings = Settings(config_dir=config, data_dir=work / "data")  # default job intervals
    services = Services.load(settings)
    cases, _ = major_cases(config, args.majors)
    texts = real_texts(args.shared, args.backlog)
    started = time.perf_counter()
    for i in range(0, len(texts), 1000):
        services.mentions.upsert_many(
            [
                NewMention("backlog", str(n), f"http://b/{n}", *_title_content(text), unit="county")
                for n, text in enumerate(texts[i : i + 1000], start=i)
            ]
        )
    print(f"stored a backlog of {services.mentions.backlog():,} posts in {time.perf_counter() - started:.0f} s")
    pipeline = Pipeline(services)
    wall0, cpu0 = time.perf_counter(), time.process_time()
    pipeline.start()
    stored: dict[str, float] = {}
    waiting: dict[str, int] = {}
    opened: dict[str, float] = {}
    try:
        time.sleep(3)  # the analysis job is into the backlog
        for n, (title, content) in enumerate(cases):
            waiting[f"major:{n}"] = services.mentions.backlog()
            services.mentions.upsert_many([NewMention("major", str(n), f"http://m/{n}", title, content, unit="county")])
            stored[f"major:{n}"] = time.time()
            time.sleep(args.every)
        deadline = time.time() + args.timeout
        while time.time() < deadline and (len(opened) < len(cases) or _unnotified(cases, received)):
            with services.sessions() as session:
                for incident in session.scalars(select(Incident).where(Incident.first_mention_id.like("major:%"))):
                    opened.setdefault(incident.first_mention_id, incident.opened_at.timestamp())
            if time.time() >= deadline:
                break
            time.sleep(0.2)
    finally:
        pipeline.stop()
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    left = services.mentions.backlog()
    services.close()
    server.shutdown()
    shutil.rmtree(work, ignore_errors=True)

    print(f"\nload average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"{'case':<10} {'backlog when stored':>20} {'stored → incident (s)':>22} {'stored → first alert (s)':>25}")
    missed = []
    for n, (title, _) in enumerate(cases):
        key = f"major:{n}"
        arrivals = [at for at, m in received if title in m.get("title", "")]
        to_incident = f"{opened[key] - stored[key]:.1f}" if key in opened else "never"
        to_alert = f"{min(arrivals) - stored[key]:.1f}" if arrivals else "never"
        if not arrivals:
            missed.append(f"{key} {title}")
        print(f"{key:<10} {waiting[key]:>20,} {to_incident:>22} {to_alert:>25}")
    print(f"\nwhole run: wall {wall:.0f} s, CPU {cpu:.0f} s (this process: scheduler, analysis, alerting, receiver);")
    print(f"backlog still waiting at the end: {left:,} of {len(texts):,}")
    for line in missed:
        print(f"NEVER NOTIFIED: {line}")
    return 1 if missed else 0


def _unnotified(cases: list[tuple[str, str]], received: list[tuple[float, dict[str, str]]]) -> bool:
    titles = {m.get("title", "") for _, m in received}
    return any(not any(title in t for t in titles) for title, _ in cases)


def _title_content(text: str) -> tuple[str, str]:
    title, _, content = text.partition("\n")
    return (title, content) if content else ("", title)


if __name__ == "__main__":
    with bench_run("backlog_to_incident"):
        code = main()
    raise SystemExit(code)
