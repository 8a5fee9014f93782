"""The live alert feed (Server-Sent Events): every incident timeline entry as it is written.

Clients reconnect with Last-Event-ID and miss nothing: the feed is the timeline table read past an id. Streams
are pushed to: one hub per process reads new entries when the workflow store signals a commit (api/feed_hub.py)
and every stream takes what its user may see from it; the poll (`feed_poll_seconds`) is only the hub's fallback.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from sqlalchemy import func, select

from alerting.incidents.models import Incident, TimelineEntry
from api.feed_hub import FeedEntry, FeedHub, read_entries
from api.state import ApiState, get_state
from web.access.deps import SESSION_COOKIE, Reader, resolve
from web.access.scope import Principal
from web.access.watch import AccessWatch, fingerprint

router = APIRouter(prefix="/api/v1/feed", tags=["feed"])
MAX_EVENT_ID = 2**63 - 1
RESOLVE_EVERY = 30.0  # seconds: a stream's own credentials are resolved again at least this often (expiry)
KEEP_ALIVE = 15.0  # seconds without an event before a comment line is sent


def _visible(entries: list[FeedEntry], principal: Principal) -> list[tuple[int, str | None]]:
    """Each entry's event, or None where its incident is outside the user's units (the position still moves
    past it)."""
    return [(e.id, e.message if principal.sees(e.unit) else None) for e in entries]


def _read_after(state: ApiState, after: int, principal: Principal, limit: int = 100) -> list[tuple[int, str | None]]:
    """The entries after `after` read from the table (the hub's own read), as this user may see them."""
    return _visible(read_entries(state, after, limit), principal)


def _read_after_checked(
    state: ApiState, after: int, principal: Principal
) -> tuple[list[tuple[int, str | None]], str | None]:
    """The entries after `after`, and — when some are to be sent — the access fingerprint read after them, so
    a change committed before these events were read is seen before they go out."""
    batch = _read_after(state, after, principal)
    return batch, fingerprint(state) if any(payload is not None for _, payload in batch) else None


def _start_id(state: ApiState, backlog: int, principal: Principal) -> int:
    """The id after which to start so that the last `backlog` entries the user may see are sent first."""
    with state.sessions() as session:
        if backlog == 0:
            return int(session.scalar(select(func.max(TimelineEntry.id))) or 0)
        query = select(TimelineEntry.id).order_by(TimelineEntry.id.desc()).limit(backlog)
        if principal.scope is not None:
            query = query.join(Incident, Incident.id == TimelineEntry.incident_id).where(
                Incident.unit.in_(sorted(principal.scope))
            )
        ids = session.scalars(query).all()
        return (min(ids) - 1) if ids else 0


@router.get("", response_class=StreamingResponse)
async def feed(
    request: Request,
    state: Annotated[ApiState, Depends(get_state)],
    principal: Reader,
    last_event_id: Annotated[int | None, Header(alias="Last-Event-ID", ge=0, le=MAX_EVENT_ID)] = None,
    after: Annotated[
        int | None, Query(ge=0, le=MAX_EVENT_ID, description="start after this event id; default: from now")
    ] = None,
    backlog: Annotated[int, Query(ge=0, le=200, description="first send this many recent events")] = 0,
) -> StreamingResponse:
    start = last_event_id if last_event_id is not None else after
    if start is None:
        start = await run_in_threadpool(_start_id, state, backlog, principal)

    async def current() -> Principal | None:
        """A stream outlives its request: who is asking now (None: disabled, revoked or signed out)."""
        auth = request.headers.get("authorization", "")
        token = auth[7:].strip() if auth[:7].lower() == "bearer " else None
        cookie = None if token else request.cookies.get(SESSION_COOKIE)
        return await run_in_threadpool(resolve, state, token=token, cookie=cookie)

    async def ended() -> str | None:
        """Why the stream must end now, if it must: the credentials are gone or the user's view changed (a
        dashboard reconnects and starts again under the new scope)."""
        now = await current()
        if now is None:
            return "signed out"
        if now.scope != principal.scope or now.role != principal.role:
            return "scope changed"
        return None

    watch: AccessWatch | None = getattr(request.app.state, "access_watch", None)
    if watch is None or watch.loop is not asyncio.get_running_loop():  # one per app: streams share its reads
        watch = request.app.state.access_watch = AccessWatch(state, every=state.feed_recheck_seconds)
    hub: FeedHub | None = getattr(request.app.state, "feed_hub", None)
    if hub is None or hub.loop is not asyncio.get_running_loop():  # one per app: one read for every stream
        hub = request.app.state.feed_hub = FeedHub(state, fallback_seconds=state.feed_poll_seconds)
    if hub.wake_streams not in watch.on_change:
        watch.on_change.append(hub.wake_streams)  # streams then wait on one event: new entries or access changed

    async def events() -> AsyncIterator[str]:
        position = start
        yield f"retry: 3000\nevent: hello\ndata: {json.dumps({'after': position})}\n\n"
        last_sent = time.monotonic()
        seen = await watch.open()
        await hub.open()
        try:
            # Due at once: the principal was resolved when the request came in, the baseline fingerprint maybe
            # later (a loaded server), and a revocation between the two would leave both "unchanged". The first
            # pass resolves once more, after the baseline was read and before anything is sent.
            resolved = float("-inf")
            while True:
                # Taken before reading: entries the hub reads after this (even during the awaits below, such as
                # the credential check) set this event, so the wait further down cannot sleep through them.
                changed = hub.changed
                cached = hub.since(position)
                batch: list[tuple[int, str | None]]
                if cached is None:  # behind what the hub keeps (a backlog, an old Last-Event-ID): read the table
                    batch, access = await run_in_threadpool(_read_after_checked, state, position, principal)
                else:
                    batch = _visible(cached, principal)
                    access = hub.access if any(payload is not None for _, payload in batch) else None
                # Access as it was when these events were read (access is None: nothing to send), or as the
                # watch last saw it; credentials are resolved again when it changed, and now and then (expiry).
                latest = access or watch.value
                if latest != seen or time.monotonic() - resolved >= RESOLVE_EVERY:
                    seen, resolved = latest, time.monotonic()
                    reason = await ended()
                    if reason is not None:
                        yield f"event: bye\ndata: {json.dumps({'reason': reason})}\n\n"
                        return
                for event_id, message in batch:
                    position = event_id
                    if message is None:
                        continue
                    last_sent = time.monotonic()
                    yield message
                if not batch:
                    # No disconnect check here: StreamingResponse listens for the client's disconnect itself and
                    # cancels this generator (ASGI < 2.4, as uvicorn speaks); on a newer server the next write
                    # (an event, a keep-alive) fails. A check per wait cost every stream a cancelled receive.
                    # Woken by new entries or an access change (the watch wakes the hub's streams); at the latest
                    # when a keep-alive is due or credentials are to be resolved again.
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(min(KEEP_ALIVE, RESOLVE_EVERY)):
                            await changed.wait()
                    if time.monotonic() - last_sent >= KEEP_ALIVE:  # keeps proxies from closing an idle stream
                        last_sent = time.monotonic()
                        yield ": keep-alive\n\n"
        finally:
            watch.close()
            hub.close()

    return StreamingResponse(events(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})
