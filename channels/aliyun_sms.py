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
import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar
from urllib.error import HTTPError, URLError
from urllib.parse import quote, urlencode
from urllib.request import Request, urlopen

from channels.base import PART_ZH, ChannelPlugin, ChannelUrl, Sent

SCHEMA = "aliyunsms"
API_VERSION = "2017-05-25"
TITLE_LIMIT = 35
CONTENT_LIMIT = 35


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


def rpc_call(
    endpoint: str, key_id: str, secret: str, action: str, extra: dict[str, str], timeout: float
) -> dict[str, Any]:
    """One signed RPC GET to an Aliyun POP API (SMS and voice share the version): its JSON answer, also for an
    HTTP error that carries one; network errors propagate for the caller to word."""
    params = {
        "AccessKeyId": key_id,
        "Action": action,
        "Format": "JSON",
        "RegionId": "cn-hangzhou",
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": uuid.uuid4().hex,
        "SignatureVersion": "1.0",
        "Timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "Version": API_VERSION,
        **extra,
    }
    params["Signature"] = rpc_signature(params, secret)
    try:
        with urlopen(Request(f"{endpoint}/?{urlencode(params)}"), timeout=timeout) as response:
            answer = json.loads(response.read().decode("utf-8"))
    except HTTPError as exc:
        try:
            answer = json.loads(exc.read().decode("utf-8"))
        except ValueError:
            return {"Code": f"HTTP {exc.code}", "Message": ""}
    return answer if isinstance(answer, dict) else {"Code": "bad answer", "Message": ""}


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
    extra = {
        "PhoneNumbers": ",".join(phones),
        "SignName": sign_name,
        "TemplateCode": template,
        "TemplateParam": json.dumps(variables, ensure_ascii=False),
    }
    try:
        answer = rpc_call(endpoint, key_id, secret, "SendSms", extra, timeout)
    except (URLError, TimeoutError, OSError, ValueError) as exc:
        return False, f"{type(exc).__name__}: {exc}"
    if answer.get("Code") == "OK":
        return True, str(answer.get("BizId", ""))
    if not answer.get("Message") and str(answer.get("Code", "")).startswith("HTTP "):
        return False, str(answer["Code"])  # an HTTP error without Aliyun's JSON body
    return False, f"{answer.get('Code')}: {answer.get('Message')}"


class AliyunSms(ChannelPlugin):
    scheme = SCHEMA
    name = "阿里云短信"
    provider = "阿里云"
    medium = "sms"
    variable_limit = 35  # a notification template's variable: 1–35 characters (help.aliyun.com 463270)
    required: ClassVar[dict[str, str]] = {"sign": PART_ZH["sign"]}

    def send(self, target: ChannelUrl, *, template: str, variables: dict[str, str], timeout: float) -> Sent:
        ok, detail = send_sms(
            endpoint=target.endpoint,
            key_id=target.key,
            secret=target.secret,
            sign_name=target.query["sign"],
            template=template,
            phones=list(target.phones),
            variables=variables,
            timeout=timeout,
        )
        return Sent(ok, detail if ok else f"短信未发出：{detail}")

    def bare_variables(self, title: str, body: str) -> dict[str, str]:
        return {"title": title[:TITLE_LIMIT], "content": body[:CONTENT_LIMIT]}


PLUGIN = AliyunSms()
