"""The leader lock: one active scheduler, standbys that take over. On the real PostgreSQL server (advisory
lock) and on a file (single machine); then two `yuqing run --no-api` processes, the leader SIGKILLed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
import yaml
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from alerting.incidents.models import ClockStepRow, Incident
from store.workflow.migrate import upgrade
from yuqing.leader import FileLock, Leadership, PostgresAdvisoryLock, leader_lock

REPO = Path(__file__).resolve().parents[2]


def _wait(predicate: Any, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


@pytest.mark.postgres
def test_advisory_lock_is_exclusive_and_released_with_the_session(pg_url: str) -> None:
    first, second = PostgresAdvisoryLock(pg_url), PostgresAdvisoryLock(pg_url)
    try:
        assert first.try_acquire() and first.held()
        assert not second.try_acquire() and not second.held()
        assert first.try_acquire()  # re-entrant for the holder, as the retry loop may ask again
        first.release()
        assert not first.held()
        assert second.try_acquire() and second.held()
    finally:
        first.release()
        second.release()


def _terminate(pg_server: str, database: str, application: str | None = "yuqing-scheduler-leader") -> int:
    """End sessions on `database` as a PostgreSQL restart or a network cut would (all of them when no name)."""
    with psycopg.connect(pg_server, autocommit=True) as admin:
        row = admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = %s"
            " AND pid <> pg_backend_pid() AND (%s::text IS NULL OR application_name = %s::text)",
            (database, application, application),
        ).fetchone()
    return int(row[0]) if row else 0


@pytest.mark.postgres
def test_a_leader_whose_session_drops_takes_the_lock_back(pg_url: str, pg_server: str) -> None:
    """A PostgreSQL restart or a short cut ends the session: nobody else took the lock, so the leader renews it on a
    new session and leads on; its jobs never stop."""
    elected, lost = threading.Event(), threading.Event()
    leadership = Leadership(PostgresAdvisoryLock(pg_url), retry_seconds=0.2, on_elected=elected.set, on_lost=lost.set)
    leadership.start()
    try:
        assert elected.wait(10)
        assert _terminate(pg_server, pg_url.rsplit("/", 1)[1]) == 1
        _wait(lambda: leadership.renewed >= 1, 10, "the leader to renew its lock")
        assert not lost.is_set() and leadership.elected.is_set()
        other = PostgresAdvisoryLock(pg_url)
        try:
            assert not other.try_acquire()  # held again, by the same leader's new session
        finally:
            other.release()
    finally:
        leadership.close()


class GatedLock(PostgresAdvisoryLock):
    """The real advisory lock, whose taking the test can hold back: lets another scheduler win the lock first."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.gate = threading.Event()
        self.gate.set()

    def try_acquire(self) -> bool:
        return self.gate.is_set() and super().try_acquire()


@pytest.mark.postgres
def test_a_leader_that_cannot_renew_stands_by_and_leads_again(pg_url: str, pg_server: str) -> None:
    """Another scheduler took the lock while the session was down: stop the jobs (never two leaders), stand by,
    and lead again once the lock is free."""
    elections, losses = [], []
    lock = GatedLock(pg_url)
    leadership = Leadership(
        lock,
        retry_seconds=0.2,
        on_elected=lambda: elections.append(time.monotonic()),
        on_lost=lambda: losses.append(time.monotonic()),
    )
    leadership.start()
    other = PostgresAdvisoryLock(pg_url)
    try:
        _wait(lambda: elections, 10, "the first election")
        lock.gate.clear()
        assert _terminate(pg_server, pg_url.rsplit("/", 1)[1]) == 1
        _wait(other.try_acquire, 10, "the other scheduler to take the free lock")
        _wait(lambda: losses, 10, "the leader to give its jobs up")
        assert len(elections) == 1 and not leadership.elected.is_set()
        lock.gate.set()
        time.sleep(1.0)  # five of the standby's tries: the lock is the other's, so still no second election
        assert len(elections) == 1
        other.release()
        _wait(lambda: len(elections) == 2, 10, "the leader to lead again")
        assert len(losses) == 1 and leadership.elected.is_set()
    finally:
        other.release()
        leadership.close()


def test_file_lock_on_one_machine(tmp_path: Path) -> None:
    first, second = FileLock(tmp_path / "scheduler.lock"), FileLock(tmp_path / "scheduler.lock")
    assert first.try_acquire() and not second.try_acquire()
    first.release()
    assert second.try_acquire()
    second.release()
    assert isinstance(leader_lock(f"sqlite:///{tmp_path}/w.sqlite3", tmp_path), FileLock)
    assert isinstance(leader_lock("postgresql+psycopg://u:p@db/yuqing", tmp_path), PostgresAdvisoryLock)


def test_lock_description_hides_the_password() -> None:
    lock = PostgresAdvisoryLock("postgresql+psycopg://yuqing:s3cret@db.internal:5432/yuqing")
    assert "s3cret" not in lock.description and "db.internal/yuqing" in lock.description


# --- failover with two real scheduler processes -------------------------------------------------------------

STEPS = 12  # one escalation every 2 s from 2 s after seeding
SPACING = timedelta(seconds=2)
TAKEOVER_BOUND = 30.0


class Scheduler:
    """`yuqing run --no-api` in its own process group."""

    def __init__(self, name: str, tmp_path: Path, config_dir: Path, workflow_url: str) -> None:
        self.name = name
        self.log = tmp_path / f"{name}.log"
        self.data = tmp_path / f"data-{name}"  # another machine: nothing shared but PostgreSQL
        env = {
            **os.environ,
            "YUQING_WORKFLOW_DB": workflow_url,
            "YUQING_ALERTING_INTERVAL_SECONDS": "1",
            "YUQING_ANALYSIS_INTERVAL_SECONDS": "1",
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
                    str(config_dir),
                    "--data",
                    str(self.data),
                ],
                cwd=REPO,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def kill(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)


@pytest.fixture
def quiet_config(tmp_path: Path, receiver: Any, make_config: Any) -> Path:
    """The example configuration with every source off: only the clock and the outbox have work."""
    config_dir: Path = make_config(tmp_path / "config", board_url="http://127.0.0.1:9", receiver=receiver)
    sources_file = config_dir / "sources.yaml"
    sources = yaml.safe_load(sources_file.read_text(encoding="utf-8"))
    for source in sources["sources"]:
        source["enabled"] = False
    sources_file.write_text(yaml.safe_dump(sources, allow_unicode=True), encoding="utf-8")
    return config_dir


def _seed_steps(url: str, start: datetime) -> None:
    """Incidents of 城关一中, each with one escalation to its secretary due every 2 s: the clock's deadlines."""
    engine = create_engine(url)
    try:
        with Session(engine) as session, session.begin():
            for i in range(STEPS):
                due = start + SPACING * (i + 1)
                incident = Incident(
                    case_key=f"failover-{i}",
                    first_mention_id=f"test:{i}",
                    title=f"故障切换测试事件{i:02d}",
                    url=f"http://board.example/t/{i}",
                    source="test",
                    unit="school-no1",
                    level=3,
                    stage="analyse",
                    discovered_at=due - timedelta(minutes=5),
                    report_due_at=due + timedelta(minutes=25),
                )
                session.add(incident)
                session.add(
                    ClockStepRow(
                        incident=incident, step="escalation@5", kind="escalation", audience="secretary", due_at=due
                    )
                )
    finally:
        engine.dispose()


def _rows(url: str, sql: str) -> list[tuple[Any, ...]]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(sql))]
    finally:
        engine.dispose()


@pytest.fixture
def schedulers() -> Iterator[list[Scheduler]]:
    started: list[Scheduler] = []
    yield started
    for scheduler in started:
        scheduler.stop()


@pytest.mark.postgres
@pytest.mark.slow
def test_standby_takes_over_when_the_leader_dies_and_no_step_fires_twice_or_is_missed(
    tmp_path: Path, pg_url: str, quiet_config: Path, receiver: Any, schedulers: list[Scheduler]
) -> None:
    upgrade(pg_url)
    leader = Scheduler("a", tmp_path, quiet_config, pg_url)
    schedulers.append(leader)
    _wait(lambda: "已获得调度锁" in leader.text(), 60, f"the first scheduler to lead:\n{leader.text()}")
    standby = Scheduler("b", tmp_path, quiet_config, pg_url)
    schedulers.append(standby)
    _wait(lambda: "待命：" in standby.text(), 60, f"the second scheduler to stand by:\n{standby.text()}")

    start = datetime.now(UTC)
    _seed_steps(pg_url, start)
    fired_so_far = "SELECT count(*) FROM incident_clock WHERE fired_at IS NOT NULL"

    recorded_so_far = "SELECT count(*) FROM deliveries WHERE status <> 'pending'"

    def between_sends() -> bool:
        # Killed mid-send, a leader's message is sent again by the next one (at least once, as documented): this
        # test kills it between sends. The leader is frozen (SIGSTOP) while that is checked, so on a loaded machine
        # it cannot start the next send between the check and the kill: every fired step has arrived and its
        # sending is recorded, or it is let go on and checked again.
        os.killpg(leader.process.pid, signal.SIGSTOP)
        fired = _rows(pg_url, fired_so_far)[0][0]
        recorded = _rows(pg_url, recorded_so_far)[0][0]
        with receiver.lock:
            arrived = len(receiver.messages)
        if fired >= 3 and arrived >= fired and recorded >= fired:
            return True
        os.killpg(leader.process.pid, signal.SIGCONT)
        time.sleep(0.2)
        return False

    _wait(between_sends, 30, "the leader to fire and send the first steps")
    assert "已获得调度锁" not in standby.text(), "the standby ran while the leader was alive"
    leader.kill()
    killed_at = time.monotonic()
    _wait(
        lambda: "已获得调度锁" in standby.text(),
        TAKEOVER_BOUND + 5,
        f"the standby to take over:\n{standby.text()}",
    )
    takeover = time.monotonic() - killed_at
    print(f"takeover after the leader was killed: {takeover:.1f}s")
    assert takeover <= TAKEOVER_BOUND

    everything_fired = "SELECT count(*) FROM incident_clock WHERE fired_at IS NOT NULL AND outcome = 'sent'"
    _wait(lambda: _rows(pg_url, everything_fired)[0][0] == STEPS, 60, "every step to fire")
    messages = receiver.wait_for(STEPS, timeout=30)
    time.sleep(2)  # let any duplicate that would come, come

    steps = _rows(
        pg_url, "SELECT i.title, c.due_at, c.fired_at FROM incident_clock c JOIN incidents i ON i.id = c.incident_id"
    )
    assert len(steps) == STEPS
    for title, due, fired in steps:
        lateness = (_utc(fired) - _utc(due)).total_seconds()
        assert -0.001 <= lateness <= TAKEOVER_BOUND + 2, f"{title} fired {lateness:.1f}s after its due time"
    # Each step fired once: one escalation entry on each incident's timeline, one message to its secretary.
    timeline = (
        "SELECT i.title FROM incident_timeline e JOIN incidents i ON i.id = e.incident_id WHERE e.action = 'escalation'"
    )
    entries = Counter(t for (t,) in _rows(pg_url, timeline))
    assert sorted(entries.values()) == [1] * STEPS, entries
    with receiver.lock:
        messages = list(receiver.messages)
    sent = Counter(next(t for t, _d, _f in steps if t in m["title"]) for m in messages)
    assert sorted(sent.values()) == [1] * STEPS, sent
    assert {m["path"] for m in messages} == {"/inbox/school-secretary"}
    assert standby.process.poll() is None, standby.text()[-2000:]
    # The container health check of the new leader: stores reachable, its heartbeat fresh, as leader.
    data = str(standby.data)
    health = subprocess.run(
        [sys.executable, "-m", "yuqing", "health", "--scheduler", "--config", str(quiet_config), "--data", data],
        cwd=REPO,
        env={**os.environ, "YUQING_WORKFLOW_DB": pg_url},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert health.returncode == 0 and "调度器主调度" in health.stdout, health.stdout + health.stderr


def _utc(value: Any) -> datetime:
    at = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return at if at.tzinfo else at.replace(tzinfo=UTC)


@pytest.mark.postgres
def test_yuqing_run_survives_a_postgresql_drop(tmp_path: Path, quiet_config: Path, pg_url: str, pg_server: str) -> None:
    """Every session of the service ended at once (a sub-second restart): the process reconnects and leads on."""
    upgrade(pg_url)
    scheduler = Scheduler("only", tmp_path, quiet_config, pg_url)
    try:
        _wait(lambda: "启动调度器" in scheduler.text(), 60, "the scheduler to lead")
        _wait(lambda: _terminate(pg_server, pg_url.rsplit("/", 1)[1], None) >= 1, 10, "sessions to end")
        _wait(lambda: "已重新获取" in scheduler.text(), 30, "the leader lock to be renewed")
        time.sleep(3 * 1.0)  # three alerting ticks on the new connections
        assert scheduler.process.poll() is None, scheduler.text()[-3000:]
        assert "失去调度锁" not in scheduler.text()
        where = ["--config", str(quiet_config), "--data", str(scheduler.data)]
        health = subprocess.run(
            [sys.executable, "-m", "yuqing", "health", "--scheduler", *where],
            cwd=REPO,
            env={**os.environ, "YUQING_WORKFLOW_DB": pg_url},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert health.returncode == 0 and "调度器主调度" in health.stdout, health.stdout + health.stderr
    finally:
        scheduler.stop()
