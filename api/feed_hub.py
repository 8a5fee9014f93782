"""One reader of the incident timeline for every live-feed stream of a process.

Woken by the workflow store's feed signal (store/workflow/feed.py: NOTIFY on PostgreSQL, the file's data version
on SQLite, in-process commits), the hub reads the new entries once, with the access fingerprint after them, and
wakes the streams; each picks what its user may see from memory. Without a signal it reads every
`fallback_seconds` (the slow poll kept as a safety net). 200 idle dashboards then cost a thread checking the
signal, not 200 queries a second."""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import json
import logging
from dataclasses import dataclass

from fastapi.concurrency import run_in_threadpool
from sqlalchemy import Engine, Integer, bindparam, func, select

from alerting.incidents.actors import actor_name, shown_detail
from alerting.incidents.models import Incident, TimelineEntry
from alerting.incidents.schemas import IncidentOut
from alerting.incidents.service import LIST_COLUMNS
from api.state import ApiState
from store.workflow.feed import FeedWaker
from web.access.watch import fingerprint

log = logging.getLogger(__name__)

KEEP = 5_000  # entries kept in memory for streams that are behind; one further behind reads the table itself


@dataclass(frozen=True)
class FeedEntry:
    id: int
    unit: str | None  # the incident's unit: who may see it
    message: str  # the whole SSE event, serialised once for every stream


def sse_event(event_id: int, payload: dict[str, object]) -> str:
    return f"id: {event_id}\nevent: incident\ndata: {json.dumps(payload, ensure_ascii=False)}\n\n"


def read_entries(state: ApiState, after: int, limit: int = 500) -> list[FeedEntry]:
    now = state.now()
    with state.sessions() as session:
        rows = session.execute(_ENTRIES_AFTER, {"after": after, "limit": limit}).all()
    return [
        FeedEntry(
            entry_id,
            incident[4],  # LIST_COLUMNS' unit
            sse_event(
                entry_id,
                {
                    "action": action,
                    "actor": actor_name(actor),
                    "detail": shown_detail(actor, detail),
                    "at": at.isoformat(),
                    "incident": IncidentOut.of(incident, now=now, config=state.config).model_dump(mode="json"),
                },
            ),
        )
        for entry_id, action, actor, detail, at, *incident in rows
    ]


# Built once (SQLAlchemy keys a statement object once): the new entries and their incidents' listed columns.
_TIMELINE = TimelineEntry.__table__.c
_ENTRIES_AFTER = (
    select(_TIMELINE.id, _TIMELINE.action, _TIMELINE.actor, _TIMELINE.detail, _TIMELINE.at, *LIST_COLUMNS)
    .join_from(TimelineEntry.__table__, Incident.__table__, Incident.__table__.c.id == _TIMELINE.incident_id)
    .where(_TIMELINE.id > bindparam("after", type_=Integer))
    .order_by(_TIMELINE.id)
    .limit(bindparam("limit", type_=Integer))
)


def _read_checked(state: ApiState, after: int) -> tuple[list[FeedEntry], str]:
    """New entries and, when there are some, the access fingerprint read after them (a change committed before
    they were read is seen before they go out)."""
    found = read_entries(state, after)
    return found, fingerprint(state) if found else ""


def _entry_id(entry: FeedEntry) -> int:
    return entry.id


def _latest_id(state: ApiState) -> int:
    with state.sessions() as session:
        return int(session.scalar(select(func.max(TimelineEntry.id))) or 0)


class FeedHub:
    def __init__(self, state: ApiState, *, fallback_seconds: float) -> None:
        self.state = state
        self.fallback_seconds = fallback_seconds
        self.loop = asyncio.get_running_loop()
        self.position = 0  # the last entry read
        self.floor = 0  # entries after this one and up to `position` are in `entries`
        self.entries: list[FeedEntry] = []
        self.access = ""  # the access fingerprint read after the last entries
        self.streams = 0
        self._changed = asyncio.Event()
        self._poked = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._started: asyncio.Future[None] = self.loop.create_future()

    @property
    def changed(self) -> asyncio.Event:
        """Set when new entries were read (a fresh event each time)."""
        return self._changed

    async def open(self) -> None:
        self.streams += 1
        if self._task is None or self._task.done():
            # Created before anything is awaited, so that streams opening meanwhile share this one reader.
            self._started = self.loop.create_future()
            self._task = asyncio.create_task(self._run(self._started))
        await asyncio.shield(self._started)

    def close(self) -> None:
        self.streams -= 1
        if self.streams <= 0:
            self._poked.set()  # let the reader see it is no longer needed

    def wake_streams(self) -> None:
        """Wake every stream without new entries (access changed: each checks its user again)."""
        self._changed.set()
        self._changed = asyncio.Event()

    def since(self, after: int) -> list[FeedEntry] | None:
        """The entries after `after` as read so far; None when `after` is older than what the hub keeps."""
        if after >= self.position:
            return []
        if after < self.floor:
            return None
        return self.entries[bisect.bisect_right(self.entries, after, key=_entry_id) :]

    def _poke(self) -> None:
        self.loop.call_soon_threadsafe(self._poked.set)

    async def _run(self, started: asyncio.Future[None]) -> None:
        try:
            self.position = self.floor = await run_in_threadpool(_latest_id, self.state)
        except Exception as exc:
            self._task = None
            started.set_exception(exc)
            raise
        self.entries = []
        started.set_result(None)
        engine = self.state.sessions.kw.get("bind")
        waker = FeedWaker(engine, self._poke) if isinstance(engine, Engine) else None
        if waker is not None:
            waker.start()
        try:
            while True:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._poked.wait(), self.fallback_seconds)
                self._poked.clear()
                if self.streams <= 0:
                    self._task = None  # at once: a stream opening from now on starts a new reader
                    break
                try:
                    await self._read()
                except Exception:  # the store is away for a moment: read again at the next signal or poll
                    log.exception("实时动态：读取时间线失败")
        finally:
            if waker is not None:
                await run_in_threadpool(waker.stop)

    async def _read(self) -> None:
        while True:
            found, access = await run_in_threadpool(_read_checked, self.state, self.position)
            if not found:
                return
            self.access = access
            self.entries.extend(found)
            if len(self.entries) > KEEP:
                dropped = self.entries[: len(self.entries) - KEEP]
                self.entries = self.entries[len(dropped) :]
                self.floor = dropped[-1].id
            self.position = found[-1].id
            self.wake_streams()
            if len(found) < 500:
                return
