"""Telling live feeds that the incident timeline changed, without each of them polling.

Writers: a session that adds timeline entries sends `NOTIFY yuqing_feed` in its own transaction on PostgreSQL
(delivered to listeners when it commits, dropped when it rolls back) and, on any database, calls this process's
subscribers once it has committed. Readers: `FeedWaker` calls back soon after a commit by any process — LISTEN
on PostgreSQL, `PRAGMA data_version` (which changes when another connection commits to the file) on SQLite, and
the in-process signal for writers in the same process. Feeds still read the table itself: a signal only says
"look now", so a lost one costs at most the feed's slow fallback poll.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)

CHANNEL = "yuqing_feed"
FEED_TABLE = "incident_timeline"  # alerting.incidents.models.TimelineEntry; named here to keep store below alerting
_FLAG = "yuqing_feed_changed"

_subscribers: set[Callable[[], None]] = set()
_subscribers_lock = threading.Lock()


def subscribe(callback: Callable[[], None]) -> None:
    """Call `callback` (from the committing thread: keep it short) after each commit adding timeline entries."""
    with _subscribers_lock:
        _subscribers.add(callback)


def unsubscribe(callback: Callable[[], None]) -> None:
    with _subscribers_lock:
        _subscribers.discard(callback)


def install(factory: sessionmaker[Session]) -> None:
    """Make sessions of `factory` signal the feed when they add timeline entries."""
    event.listen(factory, "after_flush", _after_flush)
    event.listen(factory, "after_commit", _after_commit)
    event.listen(factory, "after_rollback", _after_rollback)


def _after_flush(session: Session, _context: Any) -> None:
    if not any(getattr(obj, "__tablename__", None) == FEED_TABLE for obj in session.new):
        return
    if not session.info.get(_FLAG):
        session.info[_FLAG] = True
        connection = session.connection()
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql(f"NOTIFY {CHANNEL}")


def _after_commit(session: Session) -> None:
    if session.info.pop(_FLAG, False):
        with _subscribers_lock:
            callbacks = list(_subscribers)
        for callback in callbacks:
            try:
                callback()
            except Exception:  # a reader's trouble must never fail the writer's commit
                log.exception("实时动态的订阅者出错")


def _after_rollback(session: Session) -> None:
    session.info.pop(_FLAG, None)


class FeedWaker:
    """Calls `wake` (from its own thread) soon after any process commits to the workflow store; on SQLite within
    `interval` seconds (one `PRAGMA data_version` per interval: microseconds), on PostgreSQL as the NOTIFY
    arrives. Also subscribed to this process's commits. `stop()` ends it."""

    def __init__(
        self, engine: Engine, wake: Callable[[], None], *, interval: float = 0.005, in_process: bool = True
    ) -> None:
        self.url = engine.url
        self.wake = wake
        self.interval = interval
        self.in_process = in_process  # False: only commits by other processes (and other engines) wake it
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self.in_process:
            subscribe(self.wake)
        backend = self.url.get_backend_name()
        target: Callable[[], None] | None = None
        if backend == "postgresql":
            target = self._listen
        elif backend == "sqlite" and self.url.database not in (None, "", ":memory:"):
            target = self._watch_file
        if target is not None:
            self._thread = threading.Thread(target=target, name="yuqing-feed-waker", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        unsubscribe(self.wake)
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _watch_file(self) -> None:
        path = str(self.url.database)
        while not self._stop.is_set():
            try:
                with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)) as conn:
                    last = conn.execute("PRAGMA data_version").fetchone()[0]
                    while not self._stop.wait(self.interval):
                        version = conn.execute("PRAGMA data_version").fetchone()[0]
                        if version != last:
                            last = version
                            self.wake()
            except sqlite3.Error as exc:  # the file is busy or not there yet: the feed's fallback poll covers it
                log.warning("实时动态唤醒（SQLite %s）：%s", path, exc)
                self._stop.wait(1.0)

    def _listen(self) -> None:
        import psycopg

        conninfo = make_url(self.url).set(drivername="postgresql").render_as_string(hide_password=False)
        while not self._stop.is_set():
            try:
                with psycopg.connect(conninfo, autocommit=True) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    self.wake()  # whatever was committed while not listening
                    while not self._stop.is_set():
                        for _ in conn.notifies(timeout=1.0, stop_after=1):
                            self.wake()
            except psycopg.Error as exc:  # the server restarted: listen again; the fallback poll covers the gap
                log.warning("实时动态唤醒（PostgreSQL）：%s", type(exc).__name__)
                self._stop.wait(1.0)
