"""The scheduled analysis job: claim unanalysed mentions in batches, put each batch into its events, store the
analyses.

Idempotent and resumable: a mention stays pending until its analysis is saved, and event membership is keyed by
mention, so a crash mid-batch only means that batch is analysed again — with the same events and copy counts.

Fresh posts first: each batch takes the newest pending mentions (FRESH_LANE of them) besides the oldest, so a
major post crawled behind a backlog of thousands is analysed in the next batch, not after the backlog; and each
saved batch is reported (`on_saved`), so alerting can open its incident while the backlog is still being worked.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import cast

from sqlalchemy.orm import Session, sessionmaker

from analysis.analyser import Analyser
from analysis.events.service import EventHeat, EventInput, assign, assign_many, prune_bands
from analysis.events.sql import sql_index
from store.mentions import Analysis, Mention, MentionSearch
from store.tokens import words_from_tokens

log = logging.getLogger(__name__)

# Newest pending mentions in every batch (a quarter of it, at most 50 of the default 200): when posts arrive
# faster than this between two batches, the newest are still taken first.
FRESH_LANE = 50


def analyse_pending(
    store: MentionSearch,
    analyser: Analyser,
    *,
    sessions: sessionmaker[Session] | None = None,
    batch: int = 200,
    max_batches: int = 50,
    on_saved: Callable[[list[tuple[str, Analysis]]], None] | None = None,
) -> int:
    """Analyse up to batch × max_batches pending mentions; with `sessions`, cluster them into events too."""
    done = 0
    for _ in range(max_batches):
        batch_read = next_batch(store, batch)
        if not batch_read:
            break
        pending = [m for m, _ in batch_read]
        events = _events(pending, analyser, sessions) if sessions is not None else [None] * len(pending)
        cuts = _cuts(batch_read)
        results = [
            (m.id, _analyse_one(m, analyser, event, cuts.get(m.id))) for m, event in zip(pending, events, strict=True)
        ]
        store.save_analysis(results)
        done += len(results)
        if on_saved is not None:
            on_saved(results)
    if sessions is not None:
        settings = analyser.config.analysis.events
        now = datetime.now(UTC)
        with sessions.begin() as session:
            prune_bands(
                session,
                before=now - timedelta(hours=settings.window_hours),
                keys_before=now - timedelta(hours=settings.subject_window_hours),
            )
    if done:
        log.info("已分析 %d 篇帖子，待分析 %d 篇", done, store.backlog())
    return done


Tokens = tuple[list[str], list[str]]  # title and content tokens as the store indexed them at ingest
Pending = list[tuple[Mention, Tokens | None]]


def next_batch(store: MentionSearch, size: int) -> Pending:
    """The oldest pending mentions and, when there are more than a batch, the newest too (a quarter of the batch,
    at most FRESH_LANE); in discovery order, so stories form as they would have one post at a time. Each with
    its indexed tokens where the store reads them in the same statement (first analyses only).

    The newest are read first and the oldest without them, so no row is read (and made a Mention) only to be
    dropped; when fewer than a batch are pending, they come in the order the oldest-first read gives."""
    lane = min(FRESH_LANE, size // 4)
    if not lane:
        return _pending(store, size)
    newest = _pending(store, lane, newest_first=True)
    if len(newest) < lane:  # that is everything pending
        return _oldest_first([], newest)
    oldest = _pending(store, size - lane, exclude={m.id for m, _ in newest})
    if len(oldest) < size - lane:  # no backlog: this is everything pending
        return _oldest_first(oldest, newest)
    return sorted(newest + oldest, key=lambda p: p[0].discovered_at)


def _oldest_first(oldest: Pending, newest: Pending) -> Pending:
    """All pending mentions as one oldest-first read lists them, from the oldest ones (in that order, without the
    newest) and the newest (newest first): never analysed first, then those queued again, each oldest first."""
    again = [p for p in oldest if p[0].analysis_seq is not None]
    first = oldest[: len(oldest) - len(again)]
    return [
        *first,
        *(p for p in reversed(newest) if p[0].analysis_seq is None),
        *again,
        *(p for p in reversed(newest) if p[0].analysis_seq is not None),
    ]


def _pending(
    store: MentionSearch, limit: int, *, newest_first: bool = False, exclude: set[str] | None = None
) -> Pending:
    with_tokens = getattr(store, "pending_with_tokens", None)  # the embedded store's; others index elsewhere
    if with_tokens is not None:
        return cast(Pending, with_tokens(limit, newest_first=newest_first, exclude=exclude))
    skip = exclude or set()
    found = store.pending_analysis(limit + len(skip), newest_first=newest_first)
    chosen: Pending = [(m, None) for m in found if m.id not in skip]
    return chosen[:limit]


def _events(pending: list[Mention], analyser: Analyser, sessions: sessionmaker[Session]) -> list[EventHeat | None]:
    """The batch's events in one transaction; should that fail, one mention at a time, so one bad mention costs
    only its own event."""
    items = [_event_input(m, analyser) for m in pending]
    settings = analyser.config.analysis.events
    try:
        with sessions.begin() as session:
            return assign_many(sql_index(session), items, settings=settings)
    except Exception:
        log.exception("%d 篇帖子的事件归并整批失败，改为逐篇归并", len(items))
    heats: list[EventHeat | None] = []
    for item in items:
        try:
            with sessions.begin() as session:
                heats.append(
                    assign(
                        session,
                        mention_id=item.mention_id,
                        source=item.source,
                        title=item.title,
                        text=item.text,
                        discovered_at=item.discovered_at,
                        replies=item.replies,
                        views=item.views,
                        settings=settings,
                    )
                )
        except Exception:  # one bad text must never stop the job
            log.exception("帖子 %s 的事件归并失败", item.mention_id)
            heats.append(None)
    return heats


def _event_input(mention: Mention, analyser: Analyser) -> EventInput:
    return EventInput(
        mention_id=mention.id,
        source=mention.source,
        title=mention.title,
        text=f"{mention.title}\n{mention.content[: analyser.config.analysis.max_chars]}",
        discovered_at=mention.discovered_at,
        replies=mention.reply_count,
        views=mention.view_count,
    )


def _cuts(batch: list[tuple[Mention, Tokens | None]]) -> dict[str, Tokens]:
    """The words of title and content derived from the tokens the store indexed at ingest (one jieba pass per
    mention, not two), for mentions analysed the first time. A re-analysis segments again: it is asked for after
    a configuration change, whose new words should count."""
    cuts: dict[str, Tokens] = {}
    for mention, tokens in batch:
        if tokens is None or mention.analysis_seq is not None:
            continue
        title_words, content_words = words_from_tokens(tokens[0]), words_from_tokens(tokens[1])
        if title_words is not None and content_words is not None:
            cuts[mention.id] = (title_words, content_words)
    return cuts


def _analyse_one(
    mention: Mention, analyser: Analyser, event: EventHeat | None, cut: tuple[list[str], list[str]] | None = None
) -> Analysis:
    try:
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
            cut=cut,
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
