"""End to end, with real parts: the sample board on loopback → `yuqing run` (APScheduler, Scrapy crawl
subprocesses, analysis, alerting) → Apprise json:// → a receiver on 127.0.0.1. Then a crash and a restart.

Three pairs of stores: the embedded ones, the PostgreSQL workflow store with the embedded mention store, and
PostgreSQL with Elasticsearch (the deployment's pair; the node of YUQING_TEST_ES_URL — unset, that run is
skipped saying so; set but not answering, it fails)."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from yuqing.demo.board import SampleBoard

REPO = Path(__file__).resolve().parents[2]
BULLYING = (
    "城关第一中学初二学生遭多人殴打住院",
    "城关一中初二学生晚自习后被几名同学围殴，头部受伤住院，家长要求学校给说法。",
)
FOOD = ("县一中食堂午餐变质多名学生呕吐", "城关县一中食堂今天午餐的肉有异味，多名学生饭后呕吐腹泻，已送医。")
ORDINARY = ("城关镇幸福路路灯不亮", "幸福路一段路灯坏了快一个月，晚上出行很不方便，希望镇政府尽快修理。")
SCHOOL_RECIPIENTS = 5  # school secretary, the bureau's two contacts, the county's two (major → superiors)

pytestmark = pytest.mark.slow


@pytest.fixture
def board() -> Iterator[SampleBoard]:
    board = SampleBoard.with_seed()
    board.start()
    yield board
    board.stop()


class Service:
    """`yuqing run --no-api` in its own process group, so a crash can take its crawl children with it."""

    def __init__(self, config_dir: Path, data_dir: Path, log: Path, workflow_url: str, mentions: Mentions) -> None:
        self.config_dir, self.data_dir, self.log = config_dir, data_dir, log
        self.workflow_url = workflow_url
        self.mentions = mentions
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = {
            **os.environ,
            "YUQING_ANALYSIS_INTERVAL_SECONDS": "1",
            "YUQING_ALERTING_INTERVAL_SECONDS": "1",
            "YUQING_WORKFLOW_DB": self.workflow_url,
            **self.mentions.env,
        }
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "yuqing",
                    "run",
                    "--no-api",
                    "--config",
                    str(self.config_dir),
                    "--data",
                    str(self.data_dir),
                ],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def crash(self) -> None:
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)

    def terminate(self, timeout: float) -> int:
        """SIGTERM to the service alone (as systemd or docker stop do); returns its exit code."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=timeout)

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None


class Mentions:
    """Where the service keeps mentions, read the way an operator would check: the embedded store's file with
    sqlite3, or the Elasticsearch index over HTTP (not through the store, so the test makes no index itself)."""

    def __init__(self, data_dir: Path, es_url: str | None = None) -> None:
        self.data_dir = data_dir
        self.es_url = es_url
        self.prefix = f"yuqing-e2e-{uuid.uuid4().hex[:12]}"
        self.env: dict[str, str] = {}
        if es_url is not None:
            # The store's defaults otherwise, "wait_for" refreshes included: the deployment's configuration.
            self.env = {
                "YUQING_MENTION_STORE": "elasticsearch",
                "YUQING_ELASTICSEARCH_URL": es_url,
                "YUQING_ELASTICSEARCH_INDEX_PREFIX": self.prefix,
                "YUQING_ELASTICSEARCH_REPLICAS": "0",
            }

    def posts(self) -> list[tuple[str, str]] | None:
        """(source, post id) of every stored mention; None before the service has made its store."""
        if self.es_url is None:
            db = self.data_dir / "mentions.sqlite3"
            if not db.exists():
                return None
            try:
                return [(s, p) for s, p in _query(db, "SELECT source, post_id FROM mentions")]
            except sqlite3.OperationalError:
                return None  # schema not created yet
        body = json.dumps({"size": 10000, "_source": ["source", "post_id"], "query": {"match_all": {}}})
        request = urllib.request.Request(
            f"{self.es_url.rstrip('/')}/{self.prefix}-mentions/_search",
            data=body.encode(),
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                hits = json.load(response)["hits"]["hits"]
        except urllib.error.HTTPError as exc:
            if exc.code in (404, 503):  # no index yet, or its shard not started yet
                return None
            raise
        return [(h["_source"]["source"], h["_source"]["post_id"]) for h in hits]

    def drop(self) -> None:
        """The indices and template the service made (by name: clusters refuse wildcard deletes)."""
        if self.es_url is None:
            return
        base = self.es_url.rstrip("/")
        with urllib.request.urlopen(f"{base}/_cat/indices/{self.prefix}-*?format=json", timeout=10) as response:
            names = [row["index"] for row in json.load(response)]
        for path in ([",".join(names)] if names else []) + [f"_index_template/{self.prefix}-mentions"]:
            try:
                urllib.request.urlopen(urllib.request.Request(f"{base}/{path}", method="DELETE"), timeout=30).close()
            except urllib.error.HTTPError as exc:
                if exc.code != 404:
                    raise


# (workflow store, mention store): the embedded pair, PostgreSQL beside the embedded mention store, and the
# deployment's pair. The test ids of the first two are those of the workflow store, as before.
EMBEDDED = [pytest.param(("sqlite", "sqlite"), id="sqlite"), pytest.param(("postgresql", "sqlite"), id="postgresql")]
DEPLOYED = [pytest.param(("postgresql", "elasticsearch"), id="postgresql-elasticsearch")]


@pytest.fixture
def service(
    request: pytest.FixtureRequest, tmp_path: Path, board: SampleBoard, receiver: Any, make_config: Any
) -> Iterator[Service]:
    workflow, mention_store = request.param
    workflow_url = f"sqlite:///{tmp_path / 'workflow.sqlite3'}"
    if workflow == "postgresql":
        workflow_url = request.getfixturevalue("pg_url")
    es_url = request.getfixturevalue("usable_es_node").url if mention_store == "elasticsearch" else None
    mentions = Mentions(tmp_path / "data", es_url)
    # No pause between requests to the loopback board: a seed crawl takes seconds, not the 10 s of the sources'
    # default pace (0.5 s a request), which no assertion here is about.
    config_dir = make_config(
        tmp_path / "config", board_url=board.base_url, receiver=receiver, interval=5, download_delay=0
    )
    svc = Service(config_dir, tmp_path / "data", tmp_path / "service.log", workflow_url, mentions)
    yield svc
    svc.stop()
    mentions.drop()


def _query(db: Path, sql: str, *args: object) -> list[tuple[Any, ...]]:
    with sqlite3.connect(db, timeout=30) as conn:
        return conn.execute(sql, args).fetchall()


def _wait(predicate: Any, timeout: float, what: str, service: Service) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        assert service.alive(), f"service died while waiting for {what}:\n{service.log.read_text()[-3000:]}"
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}:\n{service.log.read_text()[-3000:]}")


def _alerts_for(receiver: Any, title: str) -> list[dict[str, Any]]:
    with receiver.lock:
        return [m for m in receiver.messages if title[:20] in m["title"] and "超时" not in m["title"]]


def _workflow(service: Service, sql: str, **params: object) -> list[tuple[Any, ...]]:
    engine = create_engine(service.workflow_url)
    try:
        with engine.connect() as conn:
            return [tuple(row) for row in conn.execute(text(sql), params)]
    finally:
        engine.dispose()


def _seed_crawled(service: Service, board: SampleBoard) -> bool:
    expected = sum(len(board.posts(name)) for name in SampleBoard.BOARDS)
    posts = service.mentions.posts()
    return posts is not None and len(posts) >= expected


@pytest.mark.parametrize("service", EMBEDDED + DEPLOYED, indirect=True)
def test_post_to_notification_end_to_end(service: Service, board: SampleBoard, receiver: Any) -> None:
    service.start()
    _wait(lambda: _seed_crawled(service, board), 90, "the seed posts to be crawled", service)
    already = len(receiver.messages)
    post = board.add_post("baixing", *BULLYING, author="家长王女士")
    alerts = _wait(
        lambda: len(_alerts_for(receiver, BULLYING[0])) >= SCHOOL_RECIPIENTS and _alerts_for(receiver, BULLYING[0]),
        90,
        "the alert for the new post",
        service,
    )
    latency = alerts[-1]["at"] - post.posted_at.timestamp()
    print(f"post → last notification: {latency:.1f}s")
    assert {m["path"] for m in alerts} == {
        "/inbox/school-secretary",
        "/inbox/edu-duty",
        "/inbox/edu-secretary",
        "/inbox/county-duty",
        "/inbox/propaganda",
    }
    assert all("【重大舆情】城关第一中学" in m["title"] and "剩余" in m["message"] for m in alerts)
    assert len(receiver.messages) - already == SCHOOL_RECIPIENTS
    [(discovered, due, level, unit)] = _workflow(
        service, "SELECT discovered_at, report_due_at, level, unit FROM incidents WHERE title = :t", t=BULLYING[0]
    )
    gap = datetime.fromisoformat(str(due)) - datetime.fromisoformat(str(discovered))
    assert gap.total_seconds() == 30 * 60
    assert (level, unit) == (3, "school-no1")
    health = _workflow(service, "SELECT source, consecutive_failures, last_success_at FROM source_health")
    assert {h[0] for h in health} == {"demo-baixing", "demo-tousu"}
    assert all(h[1] == 0 and h[2] for h in health)

    # A stop request while crawls run (every 5 s) lets them finish and exits cleanly.
    board.add_post("baixing", *ORDINARY)
    time.sleep(5)
    started = time.monotonic()
    assert service.terminate(timeout=60) == 0, service.log.read_text()[-3000:]
    print(f"graceful stop took {time.monotonic() - started:.1f}s")


# Not on Elasticsearch in the suite: it passes there (about two minutes on the shared CI machine), but the
# crash's store-side promise — one document per post id, however often a crawl writes it — is the contract
# suite's, which runs on the node; the rest of this test is the workflow store's.
@pytest.mark.parametrize("service", EMBEDDED, indirect=True)
def test_crash_and_restart_lose_nothing_and_double_nothing(service: Service, board: SampleBoard, receiver: Any) -> None:
    service.start()
    _wait(lambda: _seed_crawled(service, board), 90, "the seed posts to be crawled", service)
    board.add_post("baixing", *BULLYING)
    _wait(lambda: len(_alerts_for(receiver, BULLYING[0])) >= SCHOOL_RECIPIENTS, 90, "the first alert", service)
    [(first_due,)] = _workflow(service, "SELECT report_due_at FROM incidents WHERE title = :t", t=BULLYING[0])

    # New posts arrive, and the machine dies while the service is picking them up: right after the crawl
    # stored the food-safety post, before analysis and alerting have dealt with it.
    food = board.add_post("tousu", *FOOD)
    board.add_post("baixing", *ORDINARY)
    _wait(
        lambda: any(post_id == str(food.id) for _source, post_id in service.mentions.posts() or []),
        90,
        "the food-safety post to be stored",
        service,
    )
    service.crash()
    # On a loaded machine the killed process may already have been sending the food-safety alert: what reached a
    # receiver before the kill, but may not have been recorded, is sent again after the restart (at least once,
    # as documented). Only those may arrive twice.
    in_flight = {(m["title"], m["path"]) for m in _alerts_for(receiver, FOOD[0])}
    board.add_post("baixing", ORDINARY[0] + "（二）", ORDINARY[1])
    service.start()

    _wait(
        lambda: len(_alerts_for(receiver, FOOD[0])) >= SCHOOL_RECIPIENTS,
        120,
        "the alert after restart",
        service,
    )
    _wait(lambda: _seed_crawled(service, board), 60, "every post to be stored", service)
    time.sleep(4)  # let any duplicate that would come, come

    mentions = service.mentions.posts() or []
    board_posts = {(f"demo-{name}", str(p.id)) for name in SampleBoard.BOARDS for p in board.posts(name)}
    assert Counter(mentions) == Counter(board_posts), "every board post stored exactly once"
    incidents = _workflow(service, "SELECT title, report_due_at FROM incidents")
    titles = Counter(t for t, _ in incidents)
    assert titles[BULLYING[0]] == 1 and titles[FOOD[0]] == 1
    assert dict(incidents)[BULLYING[0]] == first_due, "the deadline survived the restart unchanged"
    per_recipient = Counter((m["title"], m["path"]) for m in receiver.messages)
    doubled = {key: n for key, n in per_recipient.items() if n > 1}
    assert all(key in in_flight and n == 2 for key, n in doubled.items()), f"sent twice: {doubled}"
    assert len(_alerts_for(receiver, BULLYING[0])) == SCHOOL_RECIPIENTS
    assert len({m["path"] for m in _alerts_for(receiver, FOOD[0])}) == SCHOOL_RECIPIENTS
