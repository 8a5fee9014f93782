"""Aliyun SMS (阿里云短信 SendSms, RPC signature v1) as an Apprise notification: `aliyunsms://`.

    aliyunsms://ACCESS_KEY_ID:ACCESS_KEY_SECRET@dysmsapi.aliyuncs.com/13800000000/13900000000
        ?sign=城关县教育局&template=SMS_123456789

SMS in mainland China must use an approved signature and template. Give the channel `templates` per message
kind in channels.yaml (config/sms.py): the sender then fills the template's short variables. Used bare through
Apprise, the template is sent `title` and `content`, each cut to the 35 characters Aliyun allows a notification
template's variable. `tls=no` talks plain HTTP (only for a loopback test endpoint). Put the URL in the secrets
file: it carries the key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import threading
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.parse import quote, urlencode
from urllib.request import Request, urlopen

SCHEMA = "aliyunsms"
API_VERSION = "2017-05-25"
TITLE_LIMIT = 35
CONTENT_LIMIT = 35  # a notification template's variable: 1–35 characters (help.aliyun.com 463270)
# Apprise collects its plugins' log lines; the sender shows them as the reason a delivery failed.
log = logging.getLogger("apprise")
_registered = False
_lock = threading.Lock()


def percent_encode(value: str) -> str:
    """RFC 3986 as Aliyun's POP signature wants it: space is %20, * is %2A, ~ stays."""
    return quote(value, safe="~")


def rpc_signature(params: dict[str, str], secret: str, method: str = "GET") -> str:
    canonical = "&".join(
        f"{percent_encode(k)}={percent_encode(v)}" for k, v in sorted(params.items()) if k != "Signature"
    )
    to_sign = f"{method}&{percent_encode('/')}&{percent_encode(canonical)}"
    digest = hmac.new(f"{secret}&".encode(), to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def send_sms(
    *,
    endpoint: str,
    key_id: str,
    secret: str,
    sign_name: str,
    template: str,
    phones: list[str],
    variables: dict[str, str],
    timeout: float = 10.0,
) -> tuple[bool, str]:
    params = {
        "AccessKeyId": key_id,
        "Action": "SendSms",
        "Format": "JSON",
        "PhoneNumbers": ",".join(phones),
        "RegionId": "cn-hangzhou",
        "SignName": sign_name,
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": uuid.uuid4().hex,
        "SignatureVersion": "1.0",
        "TemplateCode": template,
        "TemplateParam": json.dumps(variables, ensure_ascii=False),
        "Timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "Version": API_VERSION,
    }
    params["Signature"] = rpc_signature(params, secret)
    try:
        with urlopen(Request(f"{endpoint}/?{urlencode(params)}"), timeout=timeout) as response:
            answer = json.loads(response.read().decode("utf-8"))
    except HTTPError as exc:
        try:
            answer = json.loads(exc.read().decode("utf-8"))
        except ValueError:
            return False, f"HTTP {exc.code}"
    except (URLError, TimeoutError, OSError, ValueError) as exc:
        return False, f"{type(exc).__name__}: {exc}"
    if answer.get("Code") == "OK":
        return True, str(answer.get("BizId", ""))
    return False, f"{answer.get('Code')}: {answer.get('Message')}"


def _notify(body: str, title: str, notify_type: str, meta: dict[str, Any], *args: Any, **kwargs: Any) -> bool:
    qsd = meta.get("qsd", {})
    phones = [p for p in str(meta.get("fullpath", "")).split("/") if p]
    missing = [
        name
        for name, value in (
            ("phone numbers", phones),
            ("sign", qsd.get("sign")),
            ("template", qsd.get("template")),
            ("key", meta.get("user")),
        )
        if not value
    ]
    if missing:
        log.warning("aliyunsms: missing %s in the channel URL", ", ".join(missing))
        return False
    scheme = "http" if str(qsd.get("tls", "yes")).lower() in {"no", "0", "false"} else "https"
    port = f":{meta['port']}" if meta.get("port") else ""
    ok, detail = send_sms(
        endpoint=f"{scheme}://{meta['host']}{port}",
        key_id=str(meta["user"]),
        secret=str(meta.get("password") or ""),
        sign_name=str(qsd["sign"]),
        template=str(qsd["template"]),
        phones=phones,
        variables={"title": title[:TITLE_LIMIT], "content": body[:CONTENT_LIMIT]},
        timeout=float(qsd.get("rto", 10)),
    )
    if not ok:
        log.warning("aliyunsms: sending failed: %s", detail)
    return ok


def register() -> None:
    """Make `aliyunsms://` known to Apprise (once per process; no side effect at import)."""
    global _registered
    with _lock:
        if not _registered:
            from apprise.decorators import notify

            notify(on=SCHEMA, name="阿里云短信")(_notify)
            _registered = True
