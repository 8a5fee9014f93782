"""Real channels on loopback: an SMTP server (aiosmtpd) receives Apprise's email, and a recipient whose SMS
channel is refused falls back to email — every attempt recorded."""

from __future__ import annotations

import email
import socket
from collections.abc import Iterator
from email.header import decode_header, make_header
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from pydantic import SecretStr
from sqlalchemy import select

from alerting.delivery.models import Delivery, DeliveryAttempt, DeliveryStatus
from alerting.delivery.sender import AppriseSender, deliver_pending
from alerting.rules import run_rules
from config import Channel

World = Any  # the `world` fixture from conftest.py


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[email.message.Message] = []
        self.recipients: list[list[str]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(email.message_from_bytes(envelope.content))
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Mailbox, int]]:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield mailbox, port
    controller.stop()


def _text(message: email.message.Message) -> str:
    parts = [p for p in message.walk() if p.get_content_type() == "text/plain"]
    payload = parts[0].get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode(parts[0].get_content_charset() or "utf-8")


def test_sms_refused_then_email_delivers(world: World, smtp: tuple[Mailbox, int]) -> None:
    mailbox, port = smtp
    channels = [
        # An SMS endpoint that refuses connections: the "one channel down" of a bad day.
        Channel(id="sms", url=SecretStr("aliyunsms://k:s@127.0.0.1:9/13800000001?sign=x&template=SMS_1&tls=no")),
        Channel(
            id="mail",
            url=SecretStr(f"mailto://127.0.0.1:{port}?from=yuqing@example.gov.cn&to=duty@example.gov.cn&mode=insecure"),
        ),
    ]
    config = world.config.model_copy(update={"channels": channels})
    mention = world.post("1", "城关第一中学学生被殴打住院", "城关一中初二学生被多名同学围殴，头部受伤住院。")
    run_rules(world.store, world.sessions, config, world.playbooks, base_url="http://yq", now=mention.discovered_at)
    with world.sessions.begin() as session:
        deliveries = session.scalars(select(Delivery).order_by(Delivery.id)).all()
        for extra in deliveries[1:]:
            session.delete(extra)
        deliveries[0].channels = "sms,mail"
        delivery_id = deliveries[0].id
    sender = AppriseSender(config, timeout_seconds=3)
    assert deliver_pending(world.sessions, sender, max_attempts=3, now=mention.discovered_at) == 1
    [message] = mailbox.messages
    assert str(make_header(decode_header(message["Subject"]))).startswith("【重大舆情】城关第一中学")
    assert "剩余 30 分钟" in _text(message) and mailbox.recipients == [["duty@example.gov.cn"]]
    with world.sessions() as session:
        delivery = session.get(Delivery, delivery_id)
        assert delivery is not None and delivery.status == DeliveryStatus.SENT and delivery.sent_channel == "mail"
        attempts = session.scalars(select(DeliveryAttempt).order_by(DeliveryAttempt.id)).all()
        assert [(a.channel, a.ok) for a in attempts] == [("sms", False), ("mail", True)]
        assert attempts[0].error and "Connection refused" in attempts[0].error
