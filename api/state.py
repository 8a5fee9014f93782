"""What the API needs from the rest of the system, handed in by the composition root."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from fastapi import Request
from sqlalchemy.orm import Session, sessionmaker

from alerting.ack_links import AckLinks
from config import Config
from store.mentions import MentionSearch
from store.workflow.db import utcnow


@dataclass
class ApiState:
    config: Config
    mentions: MentionSearch  # search and analysis only: the API cannot call crawl bookkeeping
    sessions: sessionmaker[Session]
    base_url: str
    ack_links: AckLinks | None = None
    now: Callable[[], datetime] = field(default=utcnow)
    # The live feed is pushed (api/feed_hub.py); this is only its fallback poll, should a signal be lost.
    feed_poll_seconds: float = 5.0
    # How often an open feed checks its user may still read it (and with the same scope): a revoked, disabled
    # or moved user's stream ends within this plus one query.
    feed_recheck_seconds: float = 0.5
    # Store searches run at once by this process (api.search.search_limiter): about its cores, within the store's
    # idle connections.
    search_slots: int = 4
    data_dir: Path | None = None  # for /healthz: free space, and the scheduler's heartbeat if it runs here
    heartbeat_limit_seconds: float | None = None


async def get_state(request: Request) -> ApiState:
    """A coroutine: FastAPI runs a plain function dependency in its thread pool, a hop per request for a
    lookup."""
    state: ApiState = request.app.state.yuqing
    return state
