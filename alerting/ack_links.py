"""Signed one-click acknowledgement links for notifications.

The link names the incident and the recipient and carries an HMAC, so whoever holds the message can
acknowledge as that recipient without logging in — and nobody can forge a link for another incident.
Opening the link (GET) only shows a confirmation page: chat apps prefetch links, and a prefetch must not
acknowledge anything. The POST from that page does.

A link expires (`valid_for`, 7 days by default; YUQING_ACK_LINK_DAYS): its expiry time is part of what is
signed, so it cannot be extended. Links made before expiry was signed carry none and are refused.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

DEFAULT_VALID_FOR = timedelta(days=7)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class AckLink:
    recipient: str
    expires_at: datetime

    def expired(self, now: datetime) -> bool:
        return now >= self.expires_at


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class AckLinks:
    key: bytes
    base_url: str
    valid_for: timedelta = DEFAULT_VALID_FOR
    now: Callable[[], datetime] = field(default=_utcnow, compare=False)

    @classmethod
    def from_key_file(cls, path: Path, *, base_url: str, valid_for: timedelta = DEFAULT_VALID_FOR) -> AckLinks:
        """The signing key lives beside the data (created once, readable by the service only)."""
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_hex(32), encoding="utf-8")
            path.chmod(0o600)
        key = bytes.fromhex(path.read_text(encoding="utf-8").strip())
        return cls(key, base_url.rstrip("/"), valid_for=valid_for)

    def _mac(self, incident_id: int, recipient: str, expires: int) -> str:
        message = f"ack:{incident_id}:{recipient}:{expires}".encode()
        return _b64(hmac.new(self.key, message, hashlib.sha256).digest()[:18])

    def link(self, incident_id: int, recipient: str) -> str:
        """The link for one recipient, valid for `valid_for` from now; the last segment is `expiry.signature`."""
        who = _b64(recipient.encode("utf-8"))
        expires = int((self.now() + self.valid_for).timestamp())
        return f"{self.base_url}/ack/{incident_id}/{who}/{expires:x}.{self._mac(incident_id, recipient, expires)}"

    def verify(self, incident_id: int, who: str, mac: str) -> AckLink | None:
        """The recipient the link was made for and when it expires, or None when it was not made by us."""
        expiry, _, signature = mac.partition(".")
        try:
            recipient = _unb64(who).decode("utf-8")
            expires = int(expiry, 16)
            expires_at = datetime.fromtimestamp(expires, UTC)
        except (ValueError, UnicodeDecodeError, OverflowError, OSError):
            return None
        if not hmac.compare_digest(self._mac(incident_id, recipient, expires), signature):
            return None
        return AckLink(recipient, expires_at)
