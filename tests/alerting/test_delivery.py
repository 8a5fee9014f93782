"""Delivery: real Apprise to receivers on 127.0.0.1; fallback, retries, timeouts; nothing dropped silently."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import select

from alerting.delivery.models import Delivery, DeliveryAttempt, DeliveryStatus
from alerting.delivery.sender import AppriseSender, SendResult, deliver_pending
from alerting.incidents.models import TimelineEntry
from alerting.rules import run_rules
from config import Channel

World = Any  # the `world` fixture from conftest.py
BULLYING = ("城关第一中学学生被殴打住院", "城关一中初二学生被多名同学围殴，头部受伤住院。")


class ScriptedSender:
    """A channel sender whose channels succeed or fail as scripted; records every call."""

    def __init__(self, script: dict[str, list[bool | Exception]]) -> None:
        self.script = {k: list(v) for k, v in script.items()}  # the table is shared by parametrised runs
        self.calls: list[str] = []

    def send(self, channel_id: str, *, title: str, body: str) -> SendResult:
        self.calls.append(channel_id)
        outcomes = self.script.get(channel_id, [True])
        outcome = outcomes.pop(0) if len(outcomes) > 1 else outcomes[0]
        if isinstance(outcome, Exception):
            raise outcome
        return SendResult(outcome, None if outcome else "HTTP 500")


def _one_delivery(world: World, channels: str) -> tuple[int, datetime]:
    mention = world.post("1", *BULLYING)
    now = mention.discovered_at
    run_rules(world.store, world.sessions, world.config, world.playbooks, base_url="http://yq", now=now)
    with world.sessions.begin() as session:
        deliveries = session.scalars(select(Delivery).order_by(Delivery.id)).all()
        for extra in deliveries[1:]:
            session.delete(extra)  # keep one recipient so the scripted channels are the whole story
        deliveries[0].channels = channels
        return deliveries[0].id, now


# (channels of the recipient, scripted outcomes, max attempts, runs, expected status, expected channel calls)
CASES = [
    ("sms,im", {"sms": [True]}, 3, 1, DeliveryStatus.SENT, ["sms"]),
    ("sms,im", {"sms": [False], "im": [True]}, 3, 1, DeliveryStatus.SENT, ["sms", "im"]),
    (
        "sms,im",
        {"sms": [RuntimeError("plugin crashed")], "im": [True]},
        3,
        1,
        DeliveryStatus.SENT,
        ["sms", "im"],
    ),
    ("sms,im", {"sms": [False], "im": [False, True]}, 3, 2, DeliveryStatus.SENT, ["sms", "im", "sms", "im"]),
    ("sms,im", {"sms": [False], "im": [False]}, 2, 2, DeliveryStatus.FAILED, ["sms", "im", "sms", "im"]),
]


@pytest.mark.parametrize(("channels", "script", "max_attempts", "runs", "status", "calls"), CASES)
def test_fallback_and_retry(
    world: World,
    channels: str,
    script: dict[str, list[bool | Exception]],
    max_attempts: int,
    runs: int,
    status: DeliveryStatus,
    calls: list[str],
) -> None:
    delivery_id, now = _one_delivery(world, channels)
    sender = ScriptedSender(script)
    for run in range(runs):
        # Retries wait for their backoff: each run comes after the previous one's next_attempt_at.
        deliver_pending(world.sessions, sender, max_attempts=max_attempts, now=now + timedelta(minutes=10 * run))
    # Nothing more is sent once a delivery is settled.
    deliver_pending(world.sessions, sender, max_attempts=max_attempts, now=now + timedelta(hours=5))
    assert sender.calls == calls
    with world.sessions() as session:
        delivery = session.get(Delivery, delivery_id)
        assert delivery is not None and delivery.status == status
        attempts = session.scalars(select(DeliveryAttempt).where(DeliveryAttempt.delivery_id == delivery_id)).all()
        assert [a.channel for a in attempts] == calls  # every attempt recorded
        undeliverable = session.scalars(select(TimelineEntry).where(TimelineEntry.action == "undeliverable")).all()
        assert bool(undeliverable) == (status == DeliveryStatus.FAILED)


def test_retry_waits_for_backoff(world: World) -> None:
    _, now = _one_delivery(world, "sms")
    sender = ScriptedSender({"sms": [False, True]})
    deliver_pending(world.sessions, sender, max_attempts=3, now=now)
    deliver_pending(world.sessions, sender, max_attempts=3, now=now + timedelta(seconds=1))  # too early
    assert sender.calls == ["sms"]
    deliver_pending(world.sessions, sender, max_attempts=3, now=now + timedelta(seconds=6))
    assert sender.calls == ["sms", "sms"]


def _apprise(world: World, channels: dict[str, str], timeout: float = 10.0) -> AppriseSender:
    config = world.config.model_copy(
        update={"channels": [Channel(id=cid, url=SecretStr(url)) for cid, url in channels.items()]}
    )
    return AppriseSender(config, timeout_seconds=timeout)


def test_real_apprise_json_to_loopback_receiver(world: World, receiver: Any) -> None:
    sender = _apprise(world, {"inbox": receiver.json_url("inbox/edu")})
    result = sender.send("inbox", title="【重大舆情】城关第一中学：学生被殴打", body="级别：重大\n剩余 29 分钟")
    assert result.ok, result.error
    [message] = receiver.wait_for(1, timeout=5)
    assert message["path"] == "/inbox/edu"
    assert message["title"] == "【重大舆情】城关第一中学：学生被殴打"
    assert "剩余 29 分钟" in message["message"]


def test_real_apprise_failure_is_reported_with_reason(world: World, receiver: Any) -> None:
    receiver.mode["/down"] = "fail"
    result = _apprise(world, {"down": receiver.json_url("down")}).send("down", title="t", body="b")
    assert not result.ok and result.error
    assert "500" in result.error


def test_hanging_endpoint_times_out_and_falls_back(world: World, receiver: Any) -> None:
    receiver.mode["/hang"] = "hang"
    delivery_id, now = _one_delivery(world, "hang,ok")
    sender = _apprise(world, {"hang": receiver.json_url("hang"), "ok": receiver.json_url("ok")}, timeout=1.0)
    started = time.monotonic()
    deliver_pending(world.sessions, sender, max_attempts=3, now=now)
    assert time.monotonic() - started < 15  # Apprise retries once; each try is bounded by the timeout
    assert len(receiver.wait_for(1, timeout=5)) == 1
    with world.sessions() as session:
        delivery = session.get(Delivery, delivery_id)
        assert delivery is not None
        assert delivery.status == DeliveryStatus.SENT and delivery.sent_channel == "ok"


def test_unknown_channel_is_a_recorded_failure(world: World) -> None:
    sender = _apprise(world, {})
    result = sender.send("nowhere", title="t", body="b")
    assert not result.ok and "渠道未配置" in (result.error or "")


def test_secrets_never_in_recorded_errors(world: World, receiver: Any) -> None:
    receiver.mode["/down"] = "fail"
    token = "TOPSECRET987"
    delivery_id, now = _one_delivery(world, "down")
    sender = _apprise(world, {"down": receiver.json_url(f"down?token={token}")})
    deliver_pending(world.sessions, sender, max_attempts=1, now=now)
    with world.sessions() as session:
        delivery = session.get(Delivery, delivery_id)
        assert delivery is not None and delivery.status == DeliveryStatus.FAILED
        assert token not in (delivery.last_error or "")
        for attempt in session.scalars(select(DeliveryAttempt)):
            assert token not in (attempt.error or "")


class HangingSender(ScriptedSender):
    """Channel "hang" answers only when `release` is set (or after 60 s); the others as scripted."""

    def __init__(self) -> None:
        super().__init__({})
        self.release = threading.Event()

    def send(self, channel_id: str, *, title: str, body: str) -> SendResult:
        if channel_id == "hang":
            self.calls.append(channel_id)
            self.release.wait(60)
            return SendResult(False, "hung")
        return super().send(channel_id, title=title, body=body)


def _deliveries(world: World, channel_lists: list[str]) -> tuple[list[int], datetime]:
    ids, now = [], datetime.now(UTC)
    with world.sessions.begin() as session:
        for n, channels in enumerate(channel_lists):
            delivery = Delivery(
                incident_id=None,
                kind="alert",
                recipient=f"contact:unit{n}",
                role="duty",
                unit=f"unit{n}",
                channels=channels,
                title="【重大】测试告警",
                body="正文",
                next_attempt_at=now,
                created_at=now,
            )
            session.add(delivery)
            session.flush()
            ids.append(delivery.id)
    return ids, now


def _statuses(world: World, ids: list[int]) -> list[str]:
    with world.sessions() as session:
        return [session.get(Delivery, i).status for i in ids]


def test_a_hung_channel_costs_only_its_own_recipient(world: World) -> None:
    ids, now = _deliveries(world, ["hang,ok", "ok", "ok", "ok"])
    sender = HangingSender()
    run = threading.Thread(
        target=deliver_pending, args=(world.sessions, sender), kwargs={"max_attempts": 3, "now": now}, daemon=True
    )
    run.start()
    try:
        deadline = time.monotonic() + 20
        while _statuses(world, ids[1:]) != ["sent"] * 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        # The other recipients are sent and recorded while the first one's endpoint still hangs.
        assert _statuses(world, ids) == ["pending", "sent", "sent", "sent"]
        assert not sender.release.is_set() and run.is_alive()
    finally:
        sender.release.set()
        run.join(30)
    assert _statuses(world, ids) == ["sent", "sent", "sent", "sent"]  # after the hang, its fallback channel


def test_each_attempt_is_bounded_and_a_hung_one_falls_back(world: World) -> None:
    ids, now = _deliveries(world, ["hang,ok"])
    sender = HangingSender()
    try:
        assert deliver_pending(world.sessions, sender, max_attempts=3, now=now, attempt_seconds=2.0) == 1
        assert not sender.release.is_set()  # returned while the hung call still waits: it was abandoned
    finally:
        sender.release.set()
    with world.sessions() as session:
        attempts = session.scalars(select(DeliveryAttempt).where(DeliveryAttempt.delivery_id == ids[0])).all()
        assert [(a.channel, a.ok) for a in attempts] == [("hang", False), ("ok", True)]
        assert attempts[0].error == "2 秒内无应答，已放弃本次发送"
