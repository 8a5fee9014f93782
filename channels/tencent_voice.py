"""Tencent Cloud voice messages (腾讯云语音消息 SendTtsVoice, API 2020-09-02, TC3-HMAC-SHA256 signature) as an
Apprise notification: `tencentvoice://`, the same shape as the other plugins.

    tencentvoice://SECRET_ID:SECRET_KEY@vms.tencentcloudapi.com/13800000000
        ?sdkappid=1400000000&template=4356&region=ap-guangzhou&playtimes=2&confirm=120

The call plays an approved text-to-speech template; its variables go in template order ({1}, {2}, …, like
Tencent SMS). A message is at most 350 characters (cloud.tencent.com/document/api/1128/51558).

Whether the call was answered cannot be asked: VMS API 3.0 (vms 2020-09-02) has only SendCodeVoice and
SendTtsVoice, and answers once the call is placed (SendStatus.CallId); the outcome (voiceprompt_callback
result 0 answered, 1 not answered, 2 failed) is only pushed to a callback URL set in Tencent's console
(cloud.tencent.com/document/api/1128/37725), which needs the service reachable from the internet — a county
office's intranet deployment is not. So a placed call is confirmed by what the call is for: the incident
acknowledged. Unless it is acknowledged within `confirm` seconds (default 120) the sender sends the recipient's
next channels (the SMS with the link); an answered call acknowledged in time sends nothing more.
"""

from __future__ import annotations

import logging
from typing import ClassVar

from channels.base import ChannelPlugin, ChannelUrl, Sent
from channels.tencent_cloud import Tc3Action

SCHEMA = "tencentvoice"
SEND_TTS_VOICE = Tc3Action(service="vms", action="SendTtsVoice", version="2020-09-02")
DEFAULT_CONFIRM_SECONDS = 120.0
log = logging.getLogger(__name__)


# Tencent's error codes (API 3.0 common and VMS errors) by what an operator does about them; the code itself
# goes to the operator's log.
_REFUSALS = (
    ("AuthFailure", "腾讯云密钥或签名不对"),
    ("InsufficientBalance", "语音套餐余额不足"),
    ("TemplateParam", "模板参数不符合审核通过的模板"),
    ("Template", "语音模板不存在或未审核通过"),
    ("LimitExceeded", "超过腾讯云的呼叫频率限制"),
    ("PhoneNumber", "被叫号码格式不对"),
    ("SdkAppid", "语音应用 ID 不对"),
)


def _refusal(detail: str) -> str:
    for code, said in _REFUSALS:
        if code.lower() in detail.lower():
            return said
    return "腾讯云拒绝了呼叫（原因见运行日志）"


class TencentVoice(ChannelPlugin):
    scheme = SCHEMA
    name = "腾讯云语音消息"
    provider = "腾讯云"
    medium = "voice"
    message_limit = 350
    variable_limit = 350  # the documentation limits the whole message only
    positional = True
    required: ClassVar[dict[str, str]] = {"sdkappid": "语音应用 ID（sdkappid=，即 VoiceSdkAppid）"}

    def send(self, target: ChannelUrl, *, template: str, variables: dict[str, str], timeout: float) -> Sent:
        ok, detail = self.call(target, template=template, params=list(variables.values()), timeout=timeout)
        if not ok:
            log.warning("腾讯云语音消息未拨出：%s", detail)
            return Sent(False, f"电话未拨出：{_refusal(detail)}")
        log.info("腾讯云语音消息已拨出，CallId %s", detail)
        wait = target.number("confirm", DEFAULT_CONFIRM_SECONDS)
        return Sent(True, f"电话已拨出，{wait:g} 秒内未确认将改发下一渠道", confirm_seconds=wait)

    def call(self, target: ChannelUrl, *, template: str, params: list[str], timeout: float) -> tuple[bool, str]:
        """Place the call; (True, CallId) or (False, why)."""
        phone = target.phones[0]
        body = {
            "TemplateId": template,
            "CalledNumber": phone if phone.startswith("+") else f"+86{phone}",
            "VoiceSdkAppid": target.query["sdkappid"],
            "TemplateParamSet": params,
            "PlayTimes": min(max(int(target.number("playtimes", 2)), 1), 3),
        }
        response, why = SEND_TTS_VOICE.call(target, body, timeout=timeout)
        if response is None:
            return False, why
        status = response.get("SendStatus")
        call_id = status.get("CallId") if isinstance(status, dict) else None
        return (True, str(call_id)) if call_id else (False, "answer without SendStatus.CallId")

    def bare_variables(self, title: str, body: str) -> dict[str, str]:
        return {"title": title[:100]}


PLUGIN = TencentVoice()
