"""Alert rules: follow analysis through a persisted cursor and open an incident for each case at or above
the configured level, with its notifications queued in the same transaction."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from alerting.clock import fire_due_steps, plan_incident
from alerting.incidents.models import TimelineEntry
from alerting.incidents.service import open_or_attach
from alerting.playbooks import Playbooks
from config import Config, Level, names
from store.mentions import MentionSearch
from store.workflow.cursors import read_cursor, write_cursor

log = logging.getLogger(__name__)
CURSOR = "alerting.analysis_seq"


@dataclass(frozen=True)
class Terms:
    """What applies to a case discovered at a given time: sensitive periods lower the threshold and shorten
    the window (the whole clock is scaled to it)."""

    threshold: int
    window_minutes: int
    scale: float
    note: str | None


def terms_for(config: Config, playbook_window: int, discovered_at: datetime) -> Terms:
    # Sensitive periods count from the discovery: that is when the case arose.
    periods = config.periods_at(discovered_at)
    threshold = min(
        [int(config.alerting.incident_level)] + [int(p.incident_level) for p in periods if p.incident_level]
    )
    window = min([playbook_window] + [p.report_window_minutes for p in periods if p.report_window_minutes])
    note = None
    if periods:
        names = "、".join(p.name for p in periods)
        note = f"敏感时期「{names}」：报告时限 {window} 分钟，{Level(threshold).zh}及以上立案"
    return Terms(threshold, window, window / playbook_window, note)


def run_rules(
    store: MentionSearch,
    sessions: sessionmaker[Session],
    config: Config,
    playbooks: Playbooks,
    *,
    base_url: str,
    now: datetime,
    batch: int = 200,
    ack_link: Callable[[int, str], str] | None = None,
) -> int:
    """Returns how many incidents were opened. Re-running over the same mentions opens nothing twice."""
    opened = 0
    while True:
        with sessions.begin() as session:
            seq = read_cursor(session, CURSOR)
            mentions = store.analysed_since(seq, limit=batch)
            if not mentions:
                return opened
            too_old = now - timedelta(hours=config.alerting.incident_max_age_hours)
            for mention in mentions:
                analysis = mention.analysis
                if analysis is None or analysis.level == 0:
                    continue
                if mention.discovered_at < too_old:
                    # Re-analysed history: searchable and in digests, but no 30-minute clock for last month.
                    continue
                playbook = playbooks.for_level(analysis.level) or playbooks.ordered[0]
                terms = terms_for(config, playbook.report_window_minutes, mention.discovered_at)
                if analysis.level < terms.threshold:
                    continue
                window = timedelta(minutes=terms.window_minutes)
                incident, created = open_or_attach(
                    session,
                    mention=mention,
                    report_window=window,
                    now=now,
                    source_name=names.source_name(config, mention.source),
                )
                if not created:
                    continue
                opened += 1
                plan_incident(session, incident=incident, playbook=playbook, scale=terms.scale)
                if terms.note:
                    session.add(
                        TimelineEntry(
                            incident=incident, at=now, actor="系统", action="sensitive_period", detail=terms.note
                        )
                    )
                # The first alert is the clock's 0-minute step: sent in this very transaction.
                fire_due_steps(
                    session,
                    config=config,
                    base_url=base_url,
                    now=now,
                    incident_id=incident.id,
                    ack_link=ack_link,
                    playbooks=playbooks,
                )
                log.info(
                    "「%s」的帖子《%s》立案：事件 %s（%s）",
                    names.source_name(config, mention.source),
                    mention.title,
                    incident.id,
                    Level(analysis.level).zh,
                )
            last = mentions[-1].analysis_seq
            assert last is not None
            write_cursor(session, CURSOR, last)
