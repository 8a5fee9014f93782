"""Aliyun voice notification (阿里云语音服务 SingleCallByTts, RPC signature v1) as an Apprise notification:
`aliyunvoice://`, the same shape as the SMS plugins.

    aliyunvoice://ACCESS_KEY_ID:ACCESS_KEY_SECRET@dyvmsapi.aliyuncs.com/13800000000
        ?show=057100000000&template=TTS_123456789&wait=60

A call is placed with an approved text-to-speech template and its variables, then its outcome is read with
QueryCallDetailByCallId until the call ends (up to `wait` seconds): answered, busy, or failed (no answer,
switched off, …). Only an answered call counts as delivered, so the sender's next channel — the SMS — is
tried after a call nobody took. `tls=no` talks plain HTTP (only for a loopback test endpoint).
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from urllib.error import URLError

from channels.aliyun_sms import rpc_call
from channels.base import ChannelPlugin, ChannelUrl, Sent

SCHEMA = "aliyunvoice"
VOICE_NOTICE_PRODUCT = "11000000300006"  # ProdId of 语音通知 in QueryCallDetailByCallId
# Call states of the call detail (呼叫状态码): answered; the called number busy; anything else did not reach them.
ANSWERED = {"200000", "200100"}
BUSY = {"200002"}
OUTCOME_ZH = {"answered": "已接听", "busy": "忙线", "failed": "未接通"}
# What each call state means, in the words of Aliyun's 呼叫状态码 table (help.aliyun.com/document_detail/55085):
# the user reads the reason, the code goes only to the operator's log.
STATE_ZH = {
    "200001": "提前挂机，未听完",
    "200002": "用户占线",
    "200003": "响铃未接听",
    "200004": "号码不合法",
    "200005": "被叫无法接通",
    "200006": "语音播放失败",
    "200007": "不在服务区",
    "200008": "按键超时",
    "200010": "关机",
    "200011": "停机",
    "200104": "主叫号码受限",
    "200117": "来电显示号码不合法",
    "200118": "运营商该时段限呼",
    "200119": "运营商超频限呼",
    "200121": "呼叫超并发",
    "400": "运营商网元繁忙",
    "482": "被叫号码不可用",
    "500": "运营商故障",
    "999999": "系统故障",
}
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CallResult:
    outcome: str  # answered, busy, failed
    detail: str
    call_id: str = ""

    @property
    def answered(self) -> bool:
        return self.outcome == "answered"

    @property
    def zh(self) -> str:
        return f"电话{OUTCOME_ZH[self.outcome]}" + (f"（{self.detail}）" if self.detail else "")


def call(
    *,
    endpoint: str,
    key_id: str,
    secret: str,
    phone: str,
    show_number: str,
    template: str,
    variables: dict[str, str],
    wait_seconds: float = 60.0,
    poll_seconds: float = 5.0,
    timeout: float = 10.0,
) -> CallResult:
    """Call `phone` and wait for the outcome."""
    try:
        placed = rpc_call(
            endpoint,
            key_id,
            secret,
            "SingleCallByTts",
            {
                "CalledNumber": phone,
                "CalledShowNumber": show_number,
                "TtsCode": template,
                "TtsParam": json.dumps(variables, ensure_ascii=False),
                "PlayTimes": "2",
            },
            timeout,
        )
    except (URLError, TimeoutError, OSError, ValueError) as exc:
        log.warning("语音通知未能拨出（%s）：%s: %s", endpoint, type(exc).__name__, exc)
        return CallResult("failed", "连不上语音服务")
    if placed.get("Code") != "OK" or not placed.get("CallId"):
        log.warning("语音服务拒绝呼叫：%s: %s", placed.get("Code"), placed.get("Message"))
        why = _chinese_or(str(placed.get("Message") or ""), "原因见运行日志")
        return CallResult("failed", f"语音服务拒绝呼叫：{why}")
    call_id = str(placed["CallId"])
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            detail = rpc_call(
                endpoint,
                key_id,
                secret,
                "QueryCallDetailByCallId",
                {
                    "CallId": call_id,
                    "ProdId": VOICE_NOTICE_PRODUCT,
                    "QueryDate": str(int(time.time() * 1000)),
                },
                timeout,
            )
            data = json.loads(detail.get("Data") or "{}") if detail.get("Code") == "OK" else {}
        except (URLError, TimeoutError, OSError, ValueError):
            data = {}
        state = str(data.get("state") or "")
        if state:
            log.info("语音通知 %s 呼叫状态码 %s（%s）", call_id, state, data.get("stateDesc") or "")
            described = STATE_ZH.get(state) or _chinese_or(str(data.get("stateDesc") or ""), "运营商未说明原因")
            if state in ANSWERED:
                return CallResult("answered", "", call_id)
            if state in BUSY:
                return CallResult("busy", described, call_id)
            return CallResult("failed", described, call_id)
        if time.monotonic() >= deadline:
            return CallResult("failed", "等待通话结果超时", call_id)
        time.sleep(poll_seconds)


def _chinese_or(text: str, fallback: str) -> str:
    """The provider's own description if it is Chinese (no codes or English to the user), else the fallback."""
    chinese = any("\u4e00" <= ch <= "\u9fff" for ch in text) and not any(ch.isdigit() for ch in text)
    return text if chinese else fallback


class AliyunVoice(ChannelPlugin):
    scheme = SCHEMA
    name = "阿里云语音通知"
    provider = "阿里云"
    medium = "voice"
    variable_limit = 35

    def send(self, target: ChannelUrl, *, template: str, variables: dict[str, str], timeout: float) -> Sent:
        result = call(
            endpoint=target.endpoint,
            key_id=target.key,
            secret=target.secret,
            phone=target.phones[0],
            show_number=target.query.get("show", ""),
            template=template,
            variables=variables,
            wait_seconds=target.number("wait", 60),
            poll_seconds=target.number("poll", 5),
            timeout=timeout,
        )
        return Sent(result.answered, result.zh)

    def bare_variables(self, title: str, body: str) -> dict[str, str]:
        return {"title": title[: self.variable_limit]}


PLUGIN = AliyunVoice()
