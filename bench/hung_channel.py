"""One hung channel among a major alert's recipients: when does every other recipient get the alert?

The real pieces on 127.0.0.1: the example configuration, a mention store and a workflow database, the real rules
opening an incident for a major post (one delivery per duty contact of the units concerned), the real
`deliver_pending` and the Apprise sender posting json:// to a loopback receiver. One contact's channel never
answers (the endpoint reads the request and hangs). Three runs: every channel healthy (the normal time), one
channel hung, and one channel hung with recipients served one at a time (how delivery worked before: the peer).
Prints, per recipient, when the alert arrived after the outbox run began; then each run's wall and CPU time.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from runinfo import bench_run  # bench/ is on sys.path when a bench script runs

from alerting.delivery.sender import AppriseSender, deliver_pending
from alerting.playbooks import load_playbooks
from alerting.rules import run_rules
from analysis.analyser import Analyser
from config import Config, load_config
from store.mentions import NewMention
from store.mentions.sqlite import SqliteMentionStore
from store.workflow import make_engine, make_session_factory
from store.workflow.db import utcnow
from store.workflow.migrate import upgrade

REPO = Path(__file__).resolve().parent.parent
POST = ("城关第一中学学生被殴打住院", "城关一中初二学生被多名同学围殴，头部受伤住院，家长要求学校给说法。")


@dataclass
class Inbox:
    arrived: dict[str, float] = field(default_factory=dict)
    release: threading.Event = field(default_factory=threading.Event)


def serve(inbox: Inbox) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if self.path.startswith("/hang/"):
                inbox.release.wait(60)  # never answers while the run lasts; stops by itself
                return
            json.loads(body)
            inbox.arrived.setdefault(self.path.strip("/"), time.time())
            self.send_response(200)
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def pointed(config: Config, address: str, hung: str | None) -> Config:
    channels = [
        c.model_copy(update={"url": SecretStr(f"json://{address}/{'hang/' if c.id == hung else ''}{c.id}")})
        for c in config.channels
    ]
    return config.model_copy(update={"channels": channels})


def one_run(
    work: Path, config: Config, *, timeout: float, concurrency: int
) -> tuple[dict[str, str], float, float, float]:
    """(channel -> recipient, start time, wall seconds, CPU seconds) of one outbox run for a new major alert."""
    work.mkdir(parents=True)
    url = f"sqlite:///{work / 'workflow.sqlite3'}"
    upgrade(url)
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    store = SqliteMentionStore(work / "mentions.sqlite3")
    try:
        store.upsert_many(
            [NewMention(source="demo-baixing", post_id="1", url="http://board/t/1", title=POST[0], content=POST[1])]
        )
        analysis = Analyser(config).analyse(title=POST[0], content=POST[1], default_unit="county")
        store.save_analysis([("demo-baixing:1", analysis)])
        now = utcnow()
        run_rules(store, sessions, config, load_playbooks(), base_url="http://yq", now=now)
        from alerting.delivery.models import Delivery

        with sessions() as session:
            recipients = {d.channels.split(",")[0]: d.recipient for d in session.query(Delivery)}
        sender = AppriseSender(config, timeout_seconds=timeout)
        started, cpu = time.time(), time.process_time()
        deliver_pending(sessions, sender, max_attempts=3, now=now, attempt_seconds=2 * timeout, concurrency=concurrency)
        return recipients, started, time.time() - started, time.process_time() - cpu
    finally:
        store.close()
        engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--timeout", type=float, default=4.0, help="alerting.delivery_timeout_seconds")
    parser.add_argument("--hang", default="inbox-county-duty", help="the channel that never answers")
    args = parser.parse_args()

    base = load_config(REPO / "config" / "example")
    work = Path(tempfile.mkdtemp(prefix="yuqing-bench-hang-"))
    runs = [("normal", None, 8), ("one channel hung", args.hang, 8), ("hung, one at a time (before)", args.hang, 1)]
    arrivals: list[dict[str, float]] = []
    totals: list[tuple[str, float, float]] = []
    recipients: dict[str, str] = {}
    try:
        for n, (name, hung, concurrency) in enumerate(runs):
            inbox = Inbox()
            server = serve(inbox)
            config = pointed(base, f"127.0.0.1:{server.server_address[1]}", hung)
            try:
                recipients, started, wall, cpu = one_run(
                    work / str(n), config, timeout=args.timeout, concurrency=concurrency
                )
            finally:
                inbox.release.set()
                server.shutdown()
                server.server_close()
            arrivals.append({channel: at - started for channel, at in inbox.arrived.items()})
            totals.append((name, wall, cpu))
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print(f"A major alert to {len(recipients)} recipients; {args.hang} never answers (timeout {args.timeout:g} s)")
    print()
    print(f"{'first channel':24} {'normal s':>9} {'hung s':>9} {'Δ s':>7} {'before s':>9}  recipient")
    worst = 0.0
    for channel, recipient in sorted(recipients.items()):
        cells = [a.get(channel) for a in arrivals]
        shown = [f"{c:9.3f}" if c is not None else f"{'—':>9}" for c in cells]
        delta = "" if cells[0] is None or cells[1] is None else f"{cells[1] - cells[0]:7.3f}"
        if channel != args.hang and cells[0] is not None and cells[1] is not None:
            worst = max(worst, cells[1] - cells[0])
        print(f"{channel:24} {shown[0]} {shown[1]} {delta:>7} {shown[2]}  {recipient.split(':', 1)[-1]}")
    print()
    print(f"{'outbox run':32} {'wall s':>8} {'CPU s':>8}")
    for name, wall, cpu in totals:
        print(f"{name:32} {wall:8.3f} {cpu:8.3f}")
    print()
    print(f"other recipients: at most {worst:.3f} s later than normal with one channel hung (target: under 1 s)")
    return 0


if __name__ == "__main__":
    with bench_run("hung_channel"):
        code = main()
    raise SystemExit(code)
