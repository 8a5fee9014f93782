"""Digests: cases below the incident level go to their unit's duty contacts as one message per period,
not one per post (no alert storms), and wait out quiet hours. Major cases are incidents and never wait."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from alerting.delivery.models import Delivery
from alerting.delivery.recipients import recipients_for_audience
from config import Config, Level
from store.mentions import Mention, MentionSearch
from store.workflow.cursors import read_cursor, write_cursor

SEQ = "alerting.digest_seq"
LAST = "alerting.digest_at"  # epoch seconds of the last digest round
LISTED = 20


def _body(config: Config, unit_id: str | None, mentions: list[Mention]) -> tuple[str, str]:
    names = {u.id: u.name for u in config.units}
    unit = names.get(unit_id or "", "未归属单位")
    lines = [
        f"· [{Level(m.analysis.level).zh}] {m.title}（{m.url}）" for m in mentions[:LISTED] if m.analysis is not None
    ]
    more = f"\n……另有 {len(mentions) - LISTED} 条" if len(mentions) > LISTED else ""
    return f"【舆情汇总】{unit}：{len(mentions)} 条待关注", "\n".join(lines) + more


def send_digests(
    store: MentionSearch, sessions: sessionmaker[Session], config: Config, *, now: datetime, batch: int = 1000
) -> int:
    """Queue this round's digests, if one is due. Returns how many digest messages were queued."""
    rules = config.alerting
    if rules.quiet_hours is not None and rules.quiet_hours.covers(now):
        return 0
    with sessions.begin() as session:
        last = read_cursor(session, LAST)
        if last and now - datetime.fromtimestamp(last, UTC) < timedelta(minutes=rules.digest_every_minutes):
            return 0
        seq = read_cursor(session, SEQ)
        by_unit: dict[str | None, list[Mention]] = {}
        while mentions := store.analysed_since(seq, limit=batch):
            for mention in mentions:
                level = mention.analysis.level if mention.analysis else 0
                if int(rules.digest_level) <= level < int(rules.incident_level):
                    by_unit.setdefault(mention.unit, []).append(mention)
            seq = mentions[-1].analysis_seq or seq
        queued = _queue(session, config, by_unit, now=now)
        write_cursor(session, SEQ, seq)
        write_cursor(session, LAST, int(now.timestamp()))
    return queued


def _queue(session: Session, config: Config, by_unit: dict[str | None, list[Mention]], *, now: datetime) -> int:
    queued = 0
    for unit_id, mentions in by_unit.items():
        title, body = _body(config, unit_id, mentions)
        audience = ["duty_officer", "secretary"]
        for recipient in recipients_for_audience(config, unit_id=unit_id, audience=audience, at=now):
            session.add(
                Delivery(
                    incident_id=None,
                    kind=f"digest@{now:%Y%m%d%H%M}",
                    recipient=recipient.key,
                    role=recipient.role,
                    unit=recipient.unit,
                    channels=",".join(recipient.channels),
                    title=title,
                    body=body,
                    next_attempt_at=now,
                    created_at=now,
                )
            )
            queued += 1
    return queued
