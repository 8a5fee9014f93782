"""Fewer, better messages: an incident's deliveries due for the same person at the same time go out as one
message (one secretary got 13 messages in 31 minutes). The sender runs every second or so, so what is due
together fell due within the same minute — steps close together on a shortened clock, a restart finding
several steps due. Each incident keeps its own messages, so its timeline and record stay its own. The latest of
them carries the text (the most advanced step of the clock) with the others' headlines under it, on the widest
channel list among them (a step that phones keeps its call); the others are marked merged, pointing at it, so
the record still shows every step."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from alerting.delivery.models import Delivery, DeliveryStatus


def merge_due(session: Session, *, now: datetime) -> int:
    """Merge the never-tried pending deliveries due by `now`, per incident and person. Returns how many were
    merged away."""
    due = session.scalars(
        select(Delivery)
        .where(
            Delivery.status == DeliveryStatus.PENDING.value,
            Delivery.attempts == 0,
            Delivery.next_attempt_at <= now,
            Delivery.incident_id.is_not(None),
        )
        .order_by(Delivery.created_at, Delivery.id)
    ).all()
    groups: dict[tuple[int | None, str], list[Delivery]] = defaultdict(list)
    for delivery in due:
        groups[(delivery.incident_id, delivery.recipient)].append(delivery)
    return sum(_merge(rows) for rows in groups.values())


def _merge(cluster: list[Delivery]) -> int:
    if len(cluster) < 2:
        return 0
    carrier, others = cluster[-1], cluster[:-1]
    carrier.channels = max((d.channels for d in cluster), key=lambda c: len(c.split(",")))
    carrier.title = f"【{len(cluster)}条通知】" + carrier.title
    carrier.body = carrier.body + "\n\n同时到期的其他通知：\n" + "\n".join(f"· {d.title}" for d in others)
    for delivery in others:
        delivery.status = DeliveryStatus.MERGED.value
        delivery.last_error = f"已合并到通知 #{carrier.id}"
    return len(others)
