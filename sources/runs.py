"""Each crawl's run, as recorded when it ends (crawlers.health in the crawl process, or the scheduler for a crawl
that died), folded into its source's health row."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, Session, mapped_column

from sources.health import SourceHealth
from store.workflow.db import Base, UtcDateTime


class CrawlRun(Base):
    __tablename__ = "crawl_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(100), index=True)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ok: Mapped[bool]
    finish_reason: Mapped[str] = mapped_column(String(100))
    pages: Mapped[int] = mapped_column(Integer, default=0)
    items: Mapped[int] = mapped_column(Integer, default=0)
    new_items: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[int] = mapped_column(Integer, default=0)
    parse_failures: Mapped[int] = mapped_column(Integer, default=0)


def record_run(session: Session, run: CrawlRun, *, error: str | None = None) -> SourceHealth:
    """Append the run and fold it into the source's health row; `error`, when given, is a failed run's fuller
    reason for the health row (the run's finish_reason is short)."""
    session.add(run)
    health = session.get(SourceHealth, run.source) or SourceHealth(
        source=run.source,
        last_items=0,
        last_new_items=0,
        total_items=0,
        total_errors=0,
        total_parse_failures=0,
        consecutive_failures=0,
    )
    session.add(health)
    health.last_run_at = run.finished_at
    health.last_items = run.items
    health.last_new_items = run.new_items
    health.total_items += run.items
    health.total_errors += run.errors
    health.total_parse_failures += run.parse_failures
    if run.ok:
        health.last_success_at = run.finished_at
        health.consecutive_failures = 0
    else:
        health.consecutive_failures += 1
        health.last_error = error or run.finish_reason
    return health
