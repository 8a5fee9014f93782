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

from typing import ClassVar

from channels.base import PART_ZH, ChannelPlugin, ChannelUrl, Sent
from channels.tencent_cloud import Tc3Action

SCHEMA = "tencentsms"
SEND_SMS = Tc3Action(service="sms", action="SendSms", version="2021-01-11")


def _sms_body(target: ChannelUrl, *, template: str, params: list[str]) -> dict[str, object]:
    return {
        "PhoneNumberSet": [p if p.startswith("+") else f"+86{p}" for p in target.phones],
        "SmsSdkAppId": target.query["sdkappid"],
        "SignName": target.query["sign"],
        "TemplateId": template,
        "TemplateParamSet": params,
    }


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
        response, why = SEND_SMS.call(
            target, _sms_body(target, template=template, params=list(variables.values())), timeout=timeout
        )
        if response is None:
            return Sent(False, f"短信未发出：{why}")
        statuses = response.get("SendStatusSet") or []
        failed = [
            f"{s.get('PhoneNumber')}: {s.get('Code')} {s.get('Message')}" for s in statuses if s.get("Code") != "Ok"
        ]
        if failed or not statuses:
            return Sent(False, f"短信未发出：{'; '.join(failed) or 'no send status'}")
        return Sent(True, ",".join(str(s.get("SerialNo", "")) for s in statuses))

    def bare_variables(self, title: str, body: str) -> dict[str, str]:
        return {"title": title[: self.variable_limit]}


PLUGIN = TencentSms()
