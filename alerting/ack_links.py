"""Signed one-click acknowledgement links for notifications.

The link names the incident and the recipient and carries an HMAC, so whoever holds the message can
acknowledge as that recipient without logging in — and nobody can forge a link for another incident.
Opening the link (GET) only shows a confirmation page: chat apps prefetch links, and a prefetch must not
acknowledge anything. The POST from that page does.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from pathlib import Path


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class AckLinks:
    key: bytes
    base_url: str

    @classmethod
    def from_key_file(cls, path: Path, *, base_url: str) -> AckLinks:
        """The signing key lives beside the data (created once, readable by the service only)."""
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_hex(32), encoding="utf-8")
            path.chmod(0o600)
        return cls(bytes.fromhex(path.read_text(encoding="utf-8").strip()), base_url.rstrip("/"))

    def _mac(self, incident_id: int, recipient: str) -> str:
        message = f"ack:{incident_id}:{recipient}".encode()
        return _b64(hmac.new(self.key, message, hashlib.sha256).digest()[:18])

    def link(self, incident_id: int, recipient: str) -> str:
        who = _b64(recipient.encode("utf-8"))
        return f"{self.base_url}/ack/{incident_id}/{who}/{self._mac(incident_id, recipient)}"

    def verify(self, incident_id: int, who: str, mac: str) -> str | None:
        """The recipient the link was made for, or None when it was not made by us."""
        try:
            recipient = _unb64(who).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            return None
        return recipient if hmac.compare_digest(self._mac(incident_id, recipient), mac) else None
