"""Work through the delivery outbox: each recipient's channels in order, retries with backoff, every attempt
recorded, and a delivery that reaches nobody raised on its incident — never dropped silently."""

from __future__ import annotations

import logging
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Protocol, cast
from urllib.parse import urlsplit

import apprise
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from alerting.delivery import templated
from alerting.delivery.coalesce import merge_due
from alerting.delivery.models import Delivery, DeliveryAttempt, DeliveryStatus
from alerting.delivery.short_text import short_variables
from alerting.delivery.templated import ShortMessage
from alerting.incidents.models import Incident, TimelineEntry
from channels import plugin_for, register_with_apprise
from config import Channel, Config, names
from store.workflow.audit import record_audit

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SendResult:
    ok: bool
    error: str | None = None
    confirm_seconds: float | None = None  # a call placed, its answer unknown (channels.base.Sent)


# The kind of the fallback queued after a call whose answer the provider does not report (`alert@0~unconfirmed`).
UNCONFIRMED = "~unconfirmed"


class ChannelSender(Protocol):
    def send(self, channel_id: str, *, title: str, body: str) -> SendResult: ...


class TemplatedChannels(Protocol):
    """A sender that also knows SMS/voice channels with approved templates (AppriseSender)."""

    templated: dict[str, Channel]

    def send_short(self, channel_id: str, message: ShortMessage) -> SendResult: ...

    def short_message(self, session: Session, delivery: Delivery, now: datetime) -> ShortMessage | None: ...


class AppriseSender:
    """Sends through Apprise. URLs carry tokens: they are never logged or stored, only the channel id is."""

    def __init__(self, config: Config, *, timeout_seconds: float) -> None:
        self.config = config
        self.urls = {c.id: c.url.get_secret_value() for c in config.channels}
        self.templated = {c.id: c for c in config.channels if c.templates and plugin_for(c.url.get_secret_value())}
        self.timeout = timeout_seconds
        register_with_apprise()

    def short_message(self, session: Session, delivery: Delivery, now: datetime) -> ShortMessage | None:
        """The template kind and short variables of an incident's notification (None for digests and the like)."""
        if delivery.incident_id is None:
            return None
        incident = session.get(Incident, delivery.incident_id)
        if incident is None:
            return None
        kind = delivery.kind.removesuffix(UNCONFIRMED).split("@", 1)[0]
        return ShortMessage(kind, short_variables(self.config, incident, now=now))

    def send_short(self, channel_id: str, message: ShortMessage) -> SendResult:
        result = templated.send(self.templated[channel_id], message, timeout=self.timeout)
        return SendResult(result.ok, None if result.ok else result.detail, result.confirm_seconds)

    def _with_timeouts(self, url: str) -> str:
        # A hanging endpoint must time out so the next channel gets its turn (Apprise's cto/rto arguments).
        if "://" not in url or urlsplit(url).scheme in {"mailto", "mailtos"}:
            return url
        sep = "&" if "?" in url else "?"
        extra = [f"{k}={self.timeout:g}" for k in ("cto", "rto") if f"{k}=" not in url]
        return url + sep + "&".join(extra) if extra else url

    def send(self, channel_id: str, *, title: str, body: str) -> SendResult:
        url = self.urls.get(channel_id)
        if url is None:
            return SendResult(False, "渠道未配置（已从配置中删除？）")
        notifier = apprise.Apprise()
        if not notifier.add(self._with_timeouts(url)):
            return SendResult(False, "渠道地址无法使用（请运行 yuqing check-config）")
        with apprise.LogCapture(level=logging.WARNING) as captured:
            ok = bool(notifier.notify(title=title, body=body))
            logs = captured.getvalue()
        if ok:
            return SendResult(True)
        lines = [line.split(" - ", 2)[-1] for line in logs.strip().splitlines() if line.strip()]
        # Apprise says why in English, in the operator's log already (its own logger): the record shown on the
        # incident says it in ours; its words again only with --verbose.
        log.debug("渠道 %s 未接收通知：%s", channel_id, "; ".join(lines)[-500:] or "（Apprise 未说明原因）")
        return SendResult(False, _apprise_reason("\n".join(lines)))


def _apprise_reason(said: str) -> str:
    """Why a notification failed, in the few words a user acts on: our own plugins' reasons (Chinese, with the
    provider's code, e.g. 短信未发出：isv.BUSINESS_LIMIT_CONTROL …) as they said them; Apprise's English as a kind."""
    ours = [line for line in said.split("\n") if re.search(r"[\u4e00-\u9fff]", line)]
    if ours:
        return "；".join(ours)[-500:]
    text = said.lower()
    if "timed out" in text or "timeout" in text:
        return "渠道无应答（超时）"
    if "refused" in text or "connection" in text or "resolve" in text or "unreachable" in text:
        return "连不上渠道的服务器"
    found = re.search(r"\b([45]\d\d)\b", said)
    if found:
        return f"渠道拒绝了通知（HTTP {found[1]}）"
    return "渠道未接收通知（详情见运行日志）"


def _short_message(session: Session, delivery: Delivery, sender: ChannelSender, now: datetime) -> ShortMessage | None:
    """The short variables for the delivery's SMS and voice channels with templates, if it has any."""
    templated = getattr(sender, "templated", {})
    if not any(c in templated for c in delivery.channels.split(",")):
        return None
    return cast(TemplatedChannels, sender).short_message(session, delivery, now)


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(5 * 2 ** max(attempts - 1, 0), 300))


# Recipients sent to at once: a hung endpoint holds one of them, never the others' alerts.
DELIVERY_CONCURRENCY = 8


@dataclass(frozen=True)
class _Due:
    id: int
    recipient: str
    channels: tuple[str, ...]
    title: str
    body: str
    short: ShortMessage | None = None


@dataclass(frozen=True)
class _Attempt:
    channel: str
    result: SendResult
    elapsed_ms: int


def deliver_pending(
    sessions: sessionmaker[Session],
    sender: ChannelSender,
    *,
    max_attempts: int,
    now: datetime,
    limit: int = 100,
    attempt_seconds: float | None = None,
    concurrency: int = DELIVERY_CONCURRENCY,
    config: Config | None = None,
) -> int:
    """Send what is due. Returns how many deliveries were sent. Safe to run again at any time.

    Steps due for one person within a minute are merged into one message first. Recipients are served
    concurrently (each one's deliveries in order), each trying its channels in order, and each attempt is cut off
    after `attempt_seconds` (the abandoned call ends on its own socket timeouts): a hung endpoint costs only its
    own recipient. Each delivery's attempts are recorded as soon as it is sent. `config` names recipients and
    channels in the timeline (else their ids).
    """
    with sessions.begin() as session:
        merge_due(session, now=now)
    with sessions() as session:
        due = [
            _Due(d.id, d.recipient, tuple(c for c in d.channels.split(",") if c), d.title, d.body)
            for d in session.scalars(
                select(Delivery)
                .where(Delivery.status == DeliveryStatus.PENDING.value, Delivery.next_attempt_at <= now)
                .order_by(Delivery.next_attempt_at, Delivery.id)
                .limit(limit)
            )
        ]
    if not due:
        return 0
    # One queue per recipient, in order (an alert before its all-clear); recipients side by side.
    by_recipient: dict[str, list[_Due]] = {}
    for item in due:
        by_recipient.setdefault(item.recipient, []).append(item)

    def serve(items: list[_Due]) -> int:
        done = 0
        for item in items:
            # Recorded in the same transaction right after the send, as little time as possible after it: a
            # process killed in between sends that delivery again after a restart (at least once, never lost).
            with sessions.begin() as session:
                delivery = session.get(Delivery, item.id)
                if delivery is None or delivery.status != DeliveryStatus.PENDING.value:
                    continue
                if _confirmed(session, delivery):
                    continue
                item = replace(item, short=_short_message(session, delivery, sender, now))
                attempts = _try_channels(sender, item, attempt_seconds)
                done += _record(session, delivery, attempts, max_attempts=max_attempts, now=now, config=config)
        return done

    workers = max(1, min(concurrency, len(by_recipient)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="deliver") as pool:
        return sum(future.result() for future in [pool.submit(serve, items) for items in by_recipient.values()])


def _try_channels(sender: ChannelSender, due: _Due, bound: float | None) -> list[_Attempt]:
    """The recipient's channels in order until one takes the message."""
    attempts: list[_Attempt] = []
    for channel in due.channels:
        started = time.monotonic()
        result = _bounded_send(sender, channel, due, bound=bound)
        attempts.append(_Attempt(channel, result, int((time.monotonic() - started) * 1000)))
        if result.ok:
            break
    return attempts


def _send(sender: ChannelSender, channel: str, due: _Due) -> SendResult:
    """SMS and voice channels with templates get the short variables; every other channel the full text."""
    try:
        if channel in getattr(sender, "templated", {}):
            if due.short is None:
                return SendResult(False, "该类通知没有短信模板，改用下一个渠道")
            return cast(TemplatedChannels, sender).send_short(channel, due.short)
        return sender.send(channel, title=due.title, body=due.body)
    except Exception:  # a broken plugin is a failed attempt, not a crashed job
        log.exception("渠道 %s 的发送出错", channel)
        return SendResult(False, "渠道插件出错（详情见运行日志）")


def _bounded_send(sender: ChannelSender, channel: str, due: _Due, *, bound: float | None) -> SendResult:
    if bound is None:
        return _send(sender, channel, due)
    box: list[SendResult] = []
    thread = threading.Thread(
        target=lambda: box.append(_send(sender, channel, due)),
        name=f"send-{channel}",
        daemon=True,
    )
    thread.start()
    thread.join(bound)
    return box[0] if box else SendResult(False, f"{bound:g} 秒内无应答，已放弃本次发送")


def _record(
    session: Session,
    delivery: Delivery,
    attempts: list[_Attempt],
    *,
    max_attempts: int,
    now: datetime,
    config: Config | None = None,
) -> int:
    errors: list[str] = []
    for attempt in attempts:
        channel, result = attempt.channel, attempt.result
        session.add(
            DeliveryAttempt(
                delivery=delivery,
                at=now,
                channel=channel,
                ok=result.ok,
                error=result.error,
                elapsed_ms=attempt.elapsed_ms,
            )
        )
        if result.ok:
            delivery.status = DeliveryStatus.SENT.value
            delivery.sent_at = now
            delivery.sent_channel = channel
            delivery.attempts += 1
            if delivery.incident_id is not None:
                session.add(
                    TimelineEntry(
                        incident_id=delivery.incident_id,
                        at=now,
                        actor="系统",
                        action="notified",
                        detail=f"已通知 {delivery.recipient.split(':', 1)[-1]}"
                        f"（{names.channel_name(config, channel) if config else channel}）",
                    )
                )
                if result.confirm_seconds is not None:
                    _fall_back_unless_confirmed(session, delivery, channel, result.confirm_seconds, now=now)
            return 1
        shown = names.channel_name(config, channel) if config else channel
        errors.append(f"{shown}：{result.error}")
        log.warning("发给 %s 的通知经「%s」发送失败：%s", _whom(config, delivery), shown, result.error)
    delivery.attempts += 1
    delivery.last_error = "；".join(errors)[-2000:] or "该联系人没有可用的通知渠道"
    if delivery.attempts >= max_attempts or not delivery.channels:
        delivery.status = DeliveryStatus.FAILED.value
        _raise_undelivered(session, delivery, now=now, config=config)
    else:
        delivery.next_attempt_at = now + backoff(delivery.attempts)
    return 0


def _fall_back_unless_confirmed(
    session: Session, delivery: Delivery, channel: str, seconds: float, *, now: datetime
) -> None:
    """A call was placed whose answer the provider does not report (Tencent voice): the recipient's channels after
    it are queued for `seconds` later, and sent then unless the incident has been acknowledged by then."""
    channels = delivery.channels.split(",")
    rest = channels[channels.index(channel) + 1 :] if channel in channels else []
    if not rest or delivery.kind.endswith(UNCONFIRMED):
        return
    session.add(
        Delivery(
            incident_id=delivery.incident_id,
            kind=f"{delivery.kind}{UNCONFIRMED}",
            recipient=delivery.recipient,
            role=delivery.role,
            unit=delivery.unit,
            channels=",".join(rest),
            title=delivery.title,
            body=delivery.body,
            next_attempt_at=now + timedelta(seconds=seconds),
        )
    )


def _confirmed(session: Session, delivery: Delivery) -> bool:
    """A fallback after an unconfirmed call is not needed once the incident is acknowledged: settled as such."""
    if not delivery.kind.endswith(UNCONFIRMED) or delivery.incident_id is None:
        return False
    incident = session.get(Incident, delivery.incident_id)
    if incident is None or incident.acknowledged_at is None:
        return False
    delivery.status = DeliveryStatus.NOT_NEEDED.value
    delivery.last_error = "电话通知后已确认，无需补发"
    return True


def _whom(config: Config | None, delivery: Delivery) -> str:
    """The recipient as people read it (单位 联系人), its key without a configuration."""
    return names.recipient_name(config, delivery.recipient) if config else delivery.recipient


def _raise_undelivered(session: Session, delivery: Delivery, *, now: datetime, config: Config | None = None) -> None:
    whom = _whom(config, delivery)
    detail = f"通知失败：{whom} 的所有渠道均未送达（{delivery.attempts} 次）：{delivery.last_error}"
    if delivery.incident_id is not None and session.get(Incident, delivery.incident_id) is not None:
        session.add(
            TimelineEntry(incident_id=delivery.incident_id, at=now, actor="系统", action="undeliverable", detail=detail)
        )
    record_audit(
        session,
        actor="系统",
        action="delivery.failed",
        target=f"delivery:{delivery.id}",
        detail={"recipient": delivery.recipient, "error": delivery.last_error},
        at=now,
    )
    log.error("发给 %s 的通知未能送达（通知 %s）：%s", whom, delivery.id, delivery.last_error)
