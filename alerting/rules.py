"""Alert rules: follow analysis through a persisted cursor and open an incident for each case at or above
the configured level, with its notifications queued in the same transaction."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from alerting.clock import fire_due_steps, plan_incident
from alerting.incidents.service import open_or_attach
from alerting.playbooks import Playbooks
from config import Config
from store.mentions import MentionStore
from store.workflow.cursors import read_cursor, write_cursor

log = logging.getLogger(__name__)
CURSOR = "alerting.analysis_seq"


def run_rules(
    store: MentionStore,
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
    threshold = int(config.alerting.incident_level)
    while True:
        with sessions.begin() as session:
            seq = read_cursor(session, CURSOR)
            mentions = store.analysed_since(seq, limit=batch)
            if not mentions:
                return opened
            for mention in mentions:
                analysis = mention.analysis
                if analysis is None or analysis.level < threshold:
                    continue
                playbook = playbooks.for_level(analysis.level) or playbooks.ordered[0]
                window = timedelta(minutes=playbook.report_window_minutes)
                incident, created = open_or_attach(session, mention=mention, report_window=window, now=now)
                if created:
                    opened += 1
                    plan_incident(session, incident=incident, playbook=playbook)
                    # The first alert is the clock's 0-minute step: sent in this very transaction.
                    fire_due_steps(
                        session, config=config, base_url=base_url, now=now, incident_id=incident.id, ack_link=ack_link
                    )
                    log.info("incident %s opened for %s (level %s)", incident.id, mention.id, analysis.level)
            last = mentions[-1].analysis_seq
            assert last is not None
            write_cursor(session, CURSOR, last)
