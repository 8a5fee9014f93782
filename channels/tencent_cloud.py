"""Tencent Cloud API 3.0, shared by the Tencent plugins (tencent_sms.py, tencent_voice.py): the TC3-HMAC-SHA256
signature and one signed call of an action, addressed and keyed by the channel URL (`region=`, default
ap-guangzhou). Not a plugin itself (no PLUGIN)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.request import Request, urlopen

from channels.base import ChannelUrl

DEFAULT_REGION = "ap-guangzhou"

CONTENT_TYPE = "application/json; charset=utf-8"
SIGNED_HEADERS = "content-type;host;x-tc-action"


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).digest()


def tc3_authorization(
    *, secret_id: str, secret_key: str, host: str, action: str, payload: bytes, timestamp: int, service: str
) -> str:
    """The Authorization header of Tencent Cloud API 3.0 (signature v3, TC3-HMAC-SHA256)."""
    date = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    canonical_headers = f"content-type:{CONTENT_TYPE}\nhost:{host}\nx-tc-action:{action.lower()}\n"
    canonical_request = "\n".join(
        ["POST", "/", "", canonical_headers, SIGNED_HEADERS, hashlib.sha256(payload).hexdigest()]
    )
    scope = f"{date}/{service}/tc3_request"
    to_sign = "\n".join(
        ["TC3-HMAC-SHA256", str(timestamp), scope, hashlib.sha256(canonical_request.encode("utf-8")).hexdigest()]
    )
    signing = _hmac(_hmac(_hmac(f"TC3{secret_key}".encode(), date), service), "tc3_request")
    signature = hmac.new(signing, to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
    return f"TC3-HMAC-SHA256 Credential={secret_id}/{scope}, SignedHeaders={SIGNED_HEADERS}, Signature={signature}"


@dataclass(frozen=True)
class Tc3Action:
    """One API 3.0 action of a service at a version (SendSms of sms 2021-01-11, SendTtsVoice of vms 2020-09-02)."""

    service: str
    action: str
    version: str

    def call(self, target: ChannelUrl, body: dict[str, Any], *, timeout: float) -> tuple[dict[str, Any] | None, str]:
        """POST the action to the channel URL's endpoint, signed with its key; (the Response object, "") or
        (None, why it failed)."""
        payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
        timestamp = int(time.time())
        authorization = tc3_authorization(
            secret_id=target.key,
            secret_key=target.secret,
            host=target.host,
            action=self.action,
            payload=payload,
            timestamp=timestamp,
            service=self.service,
        )
        headers = {
            "Authorization": authorization,
            "Content-Type": CONTENT_TYPE,
            "Host": target.host,
            "X-TC-Action": self.action,
            "X-TC-Timestamp": str(timestamp),
            "X-TC-Version": self.version,
            "X-TC-Region": target.query.get("region", DEFAULT_REGION),
        }
        return _post(f"{target.endpoint}/", payload, headers, timeout)


def _post(url: str, payload: bytes, headers: dict[str, str], timeout: float) -> tuple[dict[str, Any] | None, str]:
    try:
        with urlopen(Request(url, data=payload, headers=headers, method="POST"), timeout=timeout) as r:
            answer = json.loads(r.read().decode("utf-8"))
    except HTTPError as exc:
        return None, f"HTTP {exc.code}"
    except (URLError, TimeoutError, OSError, ValueError) as exc:
        return None, f"{type(exc).__name__}: {exc}"
    response = answer.get("Response") if isinstance(answer, dict) else None
    if not isinstance(response, dict):
        return None, "answer without Response"
    error = response.get("Error")
    if isinstance(error, dict):
        return None, f"{error.get('Code')}: {error.get('Message')}"
    return response, ""
