"""One active scheduler per deployment, with standbys: a leader lock.

On PostgreSQL the lock is a session-level advisory lock held on a connection of its own: it is released when
that session ends, which PostgreSQL notices at once when the leader's process dies (its socket closes) and
within ~25 s when the leader's machine vanishes (server-side TCP keepalives, set for this session). A standby
tries to take it every `leader_retry_seconds` (default 5 s), so it takes over within 30 s. The leader checks
its session every interval too; when it is gone (a PostgreSQL restart, a partition) the leader takes the lock
again on a new session at once, and only if another scheduler has it by then stops its jobs and stands by:
better no scheduler for a moment than two. The process and its API keep running throughout.

On SQLite (one machine) the lock is an flock on a file in the data directory: the kernel drops it when the
process dies.

Either way a job that overlaps a takeover does no harm twice: clock steps are claimed row by row
(SELECT ... FOR UPDATE SKIP LOCKED) and marked fired in the transaction that queues their notifications.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy.engine import make_url

log = logging.getLogger(__name__)

# pg_try_advisory_lock takes one bigint; this one spells "yuqing" (ASCII), unlikely to collide with others.
ADVISORY_KEY = int.from_bytes(b"yuqing", "big")


def heartbeat_limit(retry_seconds: float) -> float:
    """A scheduler writes its heartbeat every retry interval: three missed and some slack mean it is stuck."""
    return 3 * retry_seconds + 10


def heartbeat_path(data_dir: Path) -> Path:
    """Per host: schedulers sharing a data volume (leader and standby on one machine) each write their own."""
    return data_dir / f"scheduler-{socket.gethostname()}.heartbeat"


class LeaderLock(Protocol):
    description: str

    def try_acquire(self) -> bool: ...

    def held(self) -> bool:
        """Still ours? False when the session (or file) holding it is gone."""
        ...

    def release(self) -> None: ...


class PostgresAdvisoryLock:
    def __init__(self, sqlalchemy_url: str, *, key: int = ADVISORY_KEY) -> None:
        url = make_url(sqlalchemy_url)
        self.description = f"PostgreSQL 咨询锁 {key}，{url.host or 'localhost'}/{url.database}"
        self._conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
        self._key = key
        self._conn: Any = None
        self._held = False

    def _connect(self) -> Any:
        import psycopg

        conn = psycopg.connect(
            self._conninfo,
            autocommit=True,
            connect_timeout=5,
            application_name="yuqing-scheduler-leader",
            # This side notices a dead server or network within ~20 s ...
            keepalives=1,
            keepalives_idle=5,
            keepalives_interval=5,
            keepalives_count=3,
            tcp_user_timeout=15000,
        )
        # ... and the server notices a dead leader within ~25 s, releasing the lock for a standby.
        for setting, value in (
            ("tcp_keepalives_idle", 10),
            ("tcp_keepalives_interval", 5),
            ("tcp_keepalives_count", 3),
        ):
            conn.execute(f"SET {setting} = {value}")
        return conn

    def try_acquire(self) -> bool:
        import psycopg

        if self._conn is not None and not self._conn.closed and self._held:
            return True  # asking again would stack a second hold of the same session-level lock
        try:
            if self._conn is None or self._conn.closed:
                self._conn = self._connect()
            row = self._conn.execute("SELECT pg_try_advisory_lock(%s)", (self._key,)).fetchone()
            self._held = bool(row and row[0])
            return self._held
        except psycopg.Error as exc:
            log.warning("无法尝试获取调度锁（%s）：%s", self.description, type(exc).__name__)
            self._drop()
            return False

    def held(self) -> bool:
        import psycopg

        if self._conn is None or self._conn.closed:
            return False
        try:
            # The lock lives as long as the session; a query that succeeds proves the session is alive.
            row = self._conn.execute(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()"
                " AND granted AND ((classid::bigint << 32) | objid::bigint) = %s",
                (self._key,),
            ).fetchone()
            return bool(row and row[0])
        except psycopg.Error:
            self._drop()
            return False

    def _drop(self) -> None:
        self._held = False
        if self._conn is not None:
            with contextlib.suppress(Exception):  # closing a broken connection may fail; it is gone either way
                self._conn.close()
        self._conn = None

    def release(self) -> None:
        # Unlock explicitly: closing the session releases it too, but only once the server has ended the
        # backend, a moment later; a standby asking right then would be refused for one more interval.
        if self._conn is not None and not self._conn.closed and self._held:
            with contextlib.suppress(Exception):
                self._conn.execute("SELECT pg_advisory_unlock(%s)", (self._key,))
        self._drop()


class FileLock:
    """Single-machine deployments (SQLite workflow store): an exclusive flock the kernel drops with the process."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.description = f"锁文件 {path}"
        self._fd: int | None = None

    def try_acquire(self) -> bool:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return True

    def held(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def leader_lock(workflow_url: str, data_dir: Path) -> LeaderLock:
    if make_url(workflow_url).get_backend_name() == "postgresql":
        return PostgresAdvisoryLock(workflow_url)
    return FileLock(data_dir / "scheduler.lock")


class Leadership:
    """Waits for the lock, then runs `on_elected`; runs `on_lost` when the lock is lost, and waits for it again, as
    a standby. Runs in its own thread.

    A leader whose session dropped (a PostgreSQL restart, a sub-second network cut) tries at once to take the lock
    again on a new session: only if another scheduler holds it by then does it give the leadership up. The process,
    and the API in it, keep running either way.
    """

    def __init__(
        self,
        lock: LeaderLock,
        *,
        retry_seconds: float,
        on_elected: Callable[[], None],
        on_lost: Callable[[], None],
        heartbeat: Path | None = None,
    ) -> None:
        self.lock = lock
        self.heartbeat = heartbeat
        self.retry_seconds = retry_seconds
        self.on_elected = on_elected
        self.on_lost = on_lost
        self.stop = threading.Event()
        self.elected = threading.Event()
        self.renewed = 0  # times the lock was taken back after its session dropped
        self._thread = threading.Thread(target=self._run, name="leader-lock", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _beat(self, role: str) -> None:
        """What `yuqing health --scheduler` reads: this process is alive, as leader or standby."""
        if self.heartbeat is None:
            return
        try:
            self.heartbeat.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.heartbeat.with_suffix(".tmp")
            tmp.write_text(json.dumps({"role": role, "pid": os.getpid(), "at": time.time()}), encoding="utf-8")
            tmp.replace(self.heartbeat)
        except OSError as exc:  # a full disk must not stop the scheduler; the health check will say so
            log.warning("无法写入调度器心跳 %s：%s", self.heartbeat, exc)

    def _run(self) -> None:
        while self._wait_for_lock():
            log.info("已获得调度锁（%s）：启动调度器", self.lock.description)
            self.elected.set()
            self._beat("leader")  # before the jobs start: the first health check must not find the last run's beat
            self.on_elected()
            if not self._hold():
                return  # stopping: the caller stops the jobs and releases the lock
            self.elected.clear()
            log.error("失去调度锁（%s）：停止各项任务，转为待命", self.lock.description)
            self.on_lost()

    def _wait_for_lock(self) -> bool:
        """True once the lock is ours; False when told to stop first."""
        waiting = False
        while not self.stop.is_set():
            if self.lock.try_acquire():
                return True
            self._beat("standby")
            if not waiting:
                log.info(
                    "待命：另一个调度器持有调度锁（%s）；每 %g 秒重试",
                    self.lock.description,
                    self.retry_seconds,
                )
                waiting = True
            self.stop.wait(self.retry_seconds)
        return False

    def _hold(self) -> bool:
        """Renew every interval; False when told to stop, True when the lock is lost and could not be renewed."""
        while not self.stop.wait(self.retry_seconds):
            self._beat("leader")
            if self.lock.held():
                continue
            if self.lock.try_acquire():  # the session dropped but nobody else took the lock: ours again
                self.renewed += 1
                log.warning("调度锁的数据库连接曾断开，已重新获取（%s）", self.lock.description)
                continue
            return True
        return False

    def halt(self) -> None:
        """Stop trying and checking (an election under way completes first); the lock stays held."""
        self.stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=self.retry_seconds + 30)

    def close(self) -> None:
        self.halt()
        self.lock.release()
