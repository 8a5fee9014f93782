"""Operations alerts on sources: a source that keeps failing, has gone quiet, or whose pages no longer parse (a
board was redesigned). One open alert per source and kind, judged from the source's health row and recorded runs;
alerting.operations opens and resolves them and tells the operators."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Integer, String, Text, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from config import Source
from config.names import beijing_minute as beijing
from sources.health import SourceHealth
from sources.runs import CrawlRun
from store.workflow.db import Base, UtcDateTime

# A run whose share of parse failures is this high, with at least this many, means the selectors broke.
PARSE_FAILURE_SHARE = 0.5
PARSE_FAILURE_MIN = 3
KIND_NAMES = {"failing": "连续抓取失败", "quiet": "长时间无新帖", "parsing": "页面解析大量失败"}


class SourceAlert(Base):
    __tablename__ = "source_alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(100), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # failing, quiet, parsing
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)
    detail: Mapped[str] = mapped_column(Text, default="")


@dataclass(frozen=True)
class Finding:
    kind: str
    detail: str


def findings_for(session: Session, source: Source, *, now: datetime) -> list[Finding]:
    """What is wrong with `source` now, from its health row and its recorded runs."""
    health = session.get(SourceHealth, source.id)
    if health is None or health.last_run_at is None:
        return []  # never crawled yet: nothing to say
    found: list[Finding] = []
    if health.consecutive_failures >= source.failing_after:
        found.append(
            Finding(
                "failing", f"连续 {health.consecutive_failures} 次抓取失败，最近一次：{health.last_error or '未知'}"
            )
        )
    if source.quiet_after_hours is not None:
        last_new = session.scalar(
            select(func.max(CrawlRun.finished_at)).where(CrawlRun.source == source.id, CrawlRun.new_items > 0)
        )
        since = last_new or session.scalar(select(func.min(CrawlRun.started_at)).where(CrawlRun.source == source.id))
        if since is not None and now - since >= timedelta(hours=source.quiet_after_hours):
            hours = (now - since) / timedelta(hours=1)
            when = f"上次发现新帖：{beijing(last_new)}" if last_new else "从未发现新帖"
            found.append(Finding("quiet", f"已 {hours:.0f} 小时没有新帖（{when}）"))
    last_ok = session.scalars(
        select(CrawlRun).where(CrawlRun.source == source.id, CrawlRun.ok.is_(True)).order_by(CrawlRun.id.desc())
    ).first()
    if last_ok is not None and last_ok.parse_failures >= PARSE_FAILURE_MIN:
        share = last_ok.parse_failures / max(1, last_ok.items + last_ok.parse_failures)
        if share >= PARSE_FAILURE_SHARE:
            found.append(
                Finding(
                    "parsing", f"最近一次抓取 {last_ok.parse_failures} 处解析失败（占 {share:.0%}），页面结构可能已改版"
                )
            )
    return found
