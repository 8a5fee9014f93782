"""The scheduled analysis job: claim unanalysed mentions in batches, put each into its event, store the analyses.

Idempotent and resumable: a mention stays pending until its analysis is saved, and event membership is keyed by
mention, so a crash mid-batch only means that batch is analysed again — with the same events and copy counts.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from analysis.analyser import Analyser
from analysis.events.service import EventHeat, assign, prune_bands
from store.mentions import Analysis, Mention, MentionStore

log = logging.getLogger(__name__)


def analyse_pending(
    store: MentionStore,
    analyser: Analyser,
    *,
    sessions: sessionmaker[Session] | None = None,
    batch: int = 200,
    max_batches: int = 50,
) -> int:
    """Analyse up to batch × max_batches pending mentions; with `sessions`, cluster them into events too."""
    done = 0
    for _ in range(max_batches):
        pending = store.pending_analysis(batch)
        if not pending:
            break
        results = [(m.id, _analyse_one(m, analyser, sessions)) for m in pending]
        store.save_analysis(results)
        done += len(results)
    if sessions is not None:
        events = analyser.config.analysis.events
        now = datetime.now(UTC)
        with sessions.begin() as session:
            prune_bands(
                session,
                before=now - timedelta(hours=events.window_hours),
                keys_before=now - timedelta(hours=events.subject_window_hours),
            )
    if done:
        log.info("已分析 %d 篇帖子，待分析 %d 篇", done, store.backlog())
    return done


def _analyse_one(mention: Mention, analyser: Analyser, sessions: sessionmaker[Session] | None) -> Analysis:
    try:
        event = _event(mention, analyser, sessions) if sessions is not None else None
        return analyser.analyse(
            title=mention.title,
            content=mention.content,
            default_unit=mention.unit,
            source=mention.source,
            at=mention.discovered_at,
            event=event,
            replies=mention.reply_count,
            views=mention.view_count,
            votes=(mention.up_votes, mention.down_votes),
        )
    except Exception as exc:  # one bad text must never stop the job
        log.exception("帖子 %s 分析失败", mention.id)
        return Analysis(
            tokens=[],
            sentiment=0.0,
            sentiment_label="neutral",
            flags=[],
            level=0,
            unit=mention.unit,
            explanation=[f"分析失败：{type(exc).__name__}"],
        )


def _event(mention: Mention, analyser: Analyser, sessions: sessionmaker[Session]) -> EventHeat | None:
    with sessions.begin() as session:
        return assign(
            session,
            mention_id=mention.id,
            source=mention.source,
            title=mention.title,
            text=f"{mention.title}\n{mention.content[: analyser.config.analysis.max_chars]}",
            discovered_at=mention.discovered_at,
            replies=mention.reply_count,
            views=mention.view_count,
            settings=analyser.config.analysis.events,
        )
