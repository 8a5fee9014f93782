"""Tencent Cloud SMS (腾讯云短信 SendSms 2021-01-11, TC3-HMAC-SHA256 signature) as an Apprise notification:
`tencentsms://`, the same shape as the Aliyun plugin.

    tencentsms://SECRET_ID:SECRET_KEY@sms.tencentcloudapi.com/13800000000/13900000000
        ?sdkappid=1400000000&sign=城关县教育局&template=1234567&region=ap-guangzhou

Only approved templates are delivered; each template variable is at most 6 characters (config/sms.py), so the
channel is used with `templates` per message kind in channels.yaml. Used bare through Apprise, the title is
the one variable (cut to 6). `tls=no` talks plain HTTP (only for a loopback test endpoint). Put the URL in
the secrets file: it carries the key.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import UTC, datetime
from typing import Any, ClassVar
from urllib.error import HTTPError, URLError
from urllib.request import Request, urlopen

from channels.base import PART_ZH, ChannelPlugin, ChannelUrl, Sent

SCHEMA = "tencentsms"
SERVICE = "sms"
ACTION = "SendSms"
API_VERSION = "2021-01-11"
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


def call_api(
    *,
    endpoint: str,
    host: str,
    secret_id: str,
    secret_key: str,
    service: str,
    action: str,
    version: str,
    region: str,
    body: dict[str, Any],
    timeout: float,
) -> tuple[dict[str, Any] | None, str]:
    """POST one API 3.0 action; (the Response object, "") or (None, why it failed)."""
    payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
    timestamp = int(time.time())
    headers = {
        "Authorization": tc3_authorization(
            secret_id=secret_id,
            secret_key=secret_key,
            host=host,
            action=action,
            payload=payload,
            timestamp=timestamp,
            service=service,
        ),
        "Content-Type": CONTENT_TYPE,
        "Host": host,
        "X-TC-Action": action,
        "X-TC-Timestamp": str(timestamp),
        "X-TC-Version": version,
        "X-TC-Region": region,
    }
    try:
        with urlopen(Request(f"{endpoint}/", data=payload, headers=headers, method="POST"), timeout=timeout) as r:
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


def send_sms(
    *,
    endpoint: str,
    host: str,
    secret_id: str,
    secret_key: str,
    sdk_app_id: str,
    sign_name: str,
    template: str,
    phones: list[str],
    params: list[str],
    region: str = "ap-guangzhou",
    timeout: float = 10.0,
) -> tuple[bool, str]:
    body = {
        "PhoneNumberSet": [p if p.startswith("+") else f"+86{p}" for p in phones],
        "SmsSdkAppId": sdk_app_id,
        "SignName": sign_name,
        "TemplateId": template,
        "TemplateParamSet": params,
    }
    response, why = call_api(
        endpoint=endpoint,
        host=host,
        secret_id=secret_id,
        secret_key=secret_key,
        service=SERVICE,
        action=ACTION,
        version=API_VERSION,
        region=region,
        body=body,
        timeout=timeout,
    )
    if response is None:
        return False, why
    statuses = response.get("SendStatusSet") or []
    failed = [f"{s.get('PhoneNumber')}: {s.get('Code')} {s.get('Message')}" for s in statuses if s.get("Code") != "Ok"]
    if failed or not statuses:
        return False, "; ".join(failed) or "no send status"
    return True, ",".join(str(s.get("SerialNo", "")) for s in statuses)


class TencentSms(ChannelPlugin):
    scheme = SCHEMA
    name = "腾讯云短信"
    provider = "腾讯云"
    medium = "sms"
    variable_limit = 6  # a non-verification-code variable (cloud.tencent.com/document/product/382/13301)
    positional = True
    requires_templates = True
    required: ClassVar[dict[str, str]] = {"sdkappid": "应用 ID（sdkappid=）", "sign": PART_ZH["sign"]}

    def send(self, target: ChannelUrl, *, template: str, variables: dict[str, str], timeout: float) -> Sent:
        ok, detail = send_sms(
            endpoint=target.endpoint,
            host=target.host,
            secret_id=target.key,
            secret_key=target.secret,
            sdk_app_id=target.query["sdkappid"],
            sign_name=target.query["sign"],
            template=template,
            phones=list(target.phones),
            params=list(variables.values()),
            region=target.query.get("region", "ap-guangzhou"),
            timeout=timeout,
        )
        return Sent(ok, detail if ok else f"短信未发出：{detail}")

    def bare_variables(self, title: str, body: str) -> dict[str, str]:
        return {"title": title[: self.variable_limit]}


PLUGIN = TencentSms()
