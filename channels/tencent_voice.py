"""Tencent Cloud voice messages (腾讯云语音消息 SendTtsVoice, API 2020-09-02, TC3-HMAC-SHA256 signature) as an
Apprise notification: `tencentvoice://`, the same shape as the other plugins.

    tencentvoice://SECRET_ID:SECRET_KEY@vms.tencentcloudapi.com/13800000000
        ?sdkappid=1400000000&template=4356&region=ap-guangzhou&playtimes=2

The call plays an approved text-to-speech template; its variables go in template order ({1}, {2}, …, like
Tencent SMS). A message is at most 350 characters (cloud.tencent.com/document/api/1128/51558). The API answers
once the call is placed (SendStatus.CallId); whether it was answered Tencent reports only by a callback to a
public URL, which this service does not expose, so a placed call counts as delivered and no SMS follows it.
Where an unanswered call must fall back to SMS, use `aliyunvoice://` (it reads the call's outcome).
"""

from __future__ import annotations

from typing import ClassVar

from channels.base import ChannelPlugin, ChannelUrl, Sent
from channels.tencent_sms import call_api

SCHEMA = "tencentvoice"
SERVICE = "vms"
ACTION = "SendTtsVoice"
API_VERSION = "2020-09-02"


def call(
    *,
    endpoint: str,
    host: str,
    secret_id: str,
    secret_key: str,
    sdk_app_id: str,
    template: str,
    phone: str,
    params: list[str],
    play_times: int = 2,
    region: str = "ap-guangzhou",
    timeout: float = 10.0,
) -> tuple[bool, str]:
    """Place the call; (True, CallId) or (False, why)."""
    body = {
        "TemplateId": template,
        "CalledNumber": phone if phone.startswith("+") else f"+86{phone}",
        "VoiceSdkAppid": sdk_app_id,
        "TemplateParamSet": params,
        "PlayTimes": play_times,
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
    status = response.get("SendStatus")
    call_id = status.get("CallId") if isinstance(status, dict) else None
    return (True, str(call_id)) if call_id else (False, "answer without SendStatus.CallId")


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
        ok, detail = call(
            endpoint=target.endpoint,
            host=target.host,
            secret_id=target.key,
            secret_key=target.secret,
            sdk_app_id=target.query["sdkappid"],
            template=template,
            phone=target.phones[0],
            params=list(variables.values()),
            play_times=min(max(int(target.number("playtimes", 2)), 1), 3),
            region=target.query.get("region", "ap-guangzhou"),
            timeout=timeout,
        )
        return Sent(ok, f"电话已拨出（CallId {detail}）" if ok else f"电话未拨出：{detail}")

    def bare_variables(self, title: str, body: str) -> dict[str, str]:
        return {"title": title[:100]}


PLUGIN = TencentVoice()
