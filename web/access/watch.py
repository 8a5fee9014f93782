"""One cheap look at "did anything about access change?", shared by every open live-feed stream of a process.

A stream must stop within a second of its user's revocation, disabling or unit change, and must not send an
event after it. Resolving every stream's credentials twice a second costs a query per stream (200 dashboards:
400 queries a second, and event latency doubled in bench/feed_clients.py). Instead one fingerprint of the users,
sessions and tokens tables is read for all streams; a stream resolves its own credentials again only when the
fingerprint changed."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections.abc import Callable

from fastapi.concurrency import run_in_threadpool
from sqlalchemy import func, select

from web.access.models import ApiToken, AuthSession, User
from web.state import WebState


def fingerprint(state: WebState) -> str:
    """Changes whenever a user's role, unit or disabled state changes, a session ends or a token is revoked."""
    digest = hashlib.sha256()
    with state.sessions() as session:
        for row in session.execute(select(User.id, User.role, User.unit, User.disabled_at).order_by(User.id)):
            digest.update(repr(tuple(row)).encode())
        sessions = session.execute(select(func.count(AuthSession.id), func.max(AuthSession.id))).one()
        revoked = session.execute(
            select(func.count(ApiToken.id), func.max(ApiToken.revoked_at)).where(ApiToken.revoked_at.is_not(None))
        ).one()
        digest.update(repr((tuple(sessions), tuple(revoked))).encode())
    return digest.hexdigest()


class AccessWatch:
    """While streams are open, reads the fingerprint every `every` seconds and wakes every stream when it
    changed: a revoked stream ends within that, without a query of its own."""

    def __init__(self, state: WebState, every: float) -> None:
        self.state = state
        self.every = every
        self.loop = asyncio.get_running_loop()  # its event and task belong to the loop serving the streams
        self.value = ""
        self.streams = 0
        self._changed = asyncio.Event()
        self.on_change: list[Callable[[], None]] = []  # also told of a change (the live feed's hub wakes its streams)
        self._task: asyncio.Task[None] | None = None
        self._started: asyncio.Future[None] = self.loop.create_future()

    async def open(self) -> str:
        self.streams += 1
        if self._task is None or self._task.done():
            # The task is created before anything is awaited: streams opening meanwhile share it (each used to
            # start its own while the first read was running — 200 dashboards, 200 watches, 400 reads a second).
            self._started = self.loop.create_future()
            self._task = asyncio.create_task(self._run(self._started))
        await asyncio.shield(self._started)
        return self.value

    def close(self) -> None:
        self.streams -= 1

    async def _run(self, started: asyncio.Future[None]) -> None:
        try:
            self.value = await run_in_threadpool(fingerprint, self.state)
        except Exception as exc:
            started.set_exception(exc)
            raise
        started.set_result(None)
        while self.streams > 0:
            await asyncio.sleep(self.every)
            latest = await run_in_threadpool(fingerprint, self.state)
            if latest != self.value:
                self.value = latest
                self._changed.set()
                self._changed = asyncio.Event()  # the next change wakes the streams again
                for callback in self.on_change:
                    callback()

    @property
    def changed(self) -> asyncio.Event:
        """Set when access changed (a fresh event each time)."""
        return self._changed

    async def wait(self, timeout: float) -> None:
        """Sleep up to `timeout`, or until access changes."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._changed.wait(), timeout)
