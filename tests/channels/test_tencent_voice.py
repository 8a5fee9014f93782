"""Tencent Cloud voice messages (`tencentvoice://`, SendTtsVoice): through the sender with the channel's call
template, and bare through Apprise, to a loopback endpoint shaped like vms.tencentcloudapi.com that checks the
TC3-HMAC-SHA256 signature (the shared verifier, `tc3_expected`) and answers as Tencent does. Also: the channel is
a voice channel for the playbooks' phone steps, and its URL and template are checked at load."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import SecretStr

from alerting.delivery.recipients import voice_channels
from alerting.delivery.sender import AppriseSender
from alerting.delivery.templated import ShortMessage, send
from channels.check import url_problem
from config import Channel, Config, ConfigError, load_config
from config.sms import MessageTemplate

SECRET_ID = "AKIDvoiceloopback"
SECRET_KEY = "voice-loopback-key"
CALL_TEXT = "城关县舆情值班提醒：{unit}发生{level}舆情，请{left}分钟内报告宣传部。"


@dataclass
class Vms:
    address: str = ""
    calls: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    bad_signatures: int = 0
    error: dict[str, str] | None = None  # answer every call with this Error


@pytest.fixture
def vms(tc3_expected: Any) -> Iterator[Vms]:
    state = Vms()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _answer(self, response: dict[str, Any]) -> None:
            body = json.dumps({"Response": {**response, "RequestId": "r-1"}}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:
            payload = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            headers = {k.lower(): v for k, v in self.headers.items()}
            auth = headers.get("authorization", "")
            if (
                not auth.startswith(f"TC3-HMAC-SHA256 Credential={SECRET_ID}/")
                or "/vms/tc3_request" not in auth
                or auth.rsplit("Signature=", 1)[-1] != tc3_expected(headers, payload, SECRET_KEY, "vms")
            ):
                state.bad_signatures += 1
                self._answer({"Error": {"Code": "AuthFailure.SignatureFailure", "Message": "signature"}})
                return
            state.headers.append(headers)
            state.calls.append(json.loads(payload))
            if state.error is not None:
                self._answer({"Error": state.error})
                return
            self._answer({"SendStatus": {"CallId": f"call-{len(state.calls)}", "SessionContext": ""}})

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    state.address = f"127.0.0.1:{server.server_address[1]}"
    yield state
    server.shutdown()
    server.server_close()


def _url(address: str, *, key: str = SECRET_KEY, extra: str = "") -> str:
    return f"tencentvoice://{SECRET_ID}:{key}@{address}/13800000001?sdkappid=1400000001&tls=no{extra}"


def _channel(url: str) -> Channel:
    return Channel(
        id="voice-tencent", url=SecretStr(url), templates={"call": MessageTemplate(code="4356", text=CALL_TEXT)}
    )


def test_a_phone_step_calls_with_the_template_variables_in_order(vms: Vms) -> None:
    variables = {"level": "重大", "unit": "城关一中", "left": "25", "code": "AB12"}
    result = send(_channel(_url(vms.address)), ShortMessage("escalation", variables), timeout=5)
    assert result.ok and result.detail == "电话已拨出，120 秒内未确认将改发下一渠道", result.detail
    assert result.confirm_seconds == 120  # Tencent cannot say whether it was answered (channels/tencent_voice.py)
    assert vms.bad_signatures == 0
    [call] = vms.calls
    assert call == {
        "TemplateId": "4356",
        "CalledNumber": "+8613800000001",
        "VoiceSdkAppid": "1400000001",
        "TemplateParamSet": ["城关一中", "重大", "25"],  # {1} {2} {3}: the order of the template text
        "PlayTimes": 2,
    }
    [headers] = vms.headers
    assert (headers["x-tc-action"], headers["x-tc-version"], headers["x-tc-region"]) == (
        "SendTtsVoice",
        "2020-09-02",
        "ap-guangzhou",
    )


def test_bare_through_apprise(vms: Vms) -> None:
    url = _url(vms.address, extra="&template=4356&playtimes=3")
    sender = AppriseSender(Config(channels=[Channel(id="voice", url=SecretStr(url))]), timeout_seconds=5)
    result = sender.send("voice", title="【重大舆情】城关第一中学：学生被殴打", body="剩余 28 分钟")
    assert result.ok, result.error
    [call] = vms.calls
    assert call["TemplateParamSet"] == ["【重大舆情】城关第一中学：学生被殴打"] and call["PlayTimes"] == 3


@pytest.mark.parametrize(
    ("key", "error", "reason"),
    [
        (
            SECRET_KEY,
            {"Code": "FailedOperation.InsufficientBalanceInVoicePackage", "Message": "x"},
            ("语音套餐余额不足", "InsufficientBalance"),
        ),
        ("wrong-key", None, ("腾讯云密钥或签名不对", "AuthFailure.SignatureFailure")),
    ],
)
def test_a_refused_call_is_a_failure_with_the_reason(
    vms: Vms, key: str, error: dict[str, str] | None, reason: tuple[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    """The user reads the reason in Chinese; Tencent's code goes to the operator's log only."""
    vms.error = error
    with caplog.at_level(logging.WARNING, logger="channels.tencent_voice"):
        result = send(_channel(_url(vms.address, key=key)), ShortMessage("escalation", {"level": "重大"}), timeout=5)
    said, code = reason
    assert not result.ok and result.detail == f"电话未拨出：{said}"
    assert code in caplog.text and key not in result.detail + caplog.text


def test_it_is_a_voice_channel_and_its_url_is_checked_at_load() -> None:
    config = Config(channels=[_channel(_url("vms.tencentcloudapi.com"))])
    assert voice_channels(config) == {"voice-tencent"}
    problem = url_problem("tencentvoice://id:key@vms.tencentcloudapi.com/13800000001", has_templates=True)
    assert problem == "腾讯云语音消息渠道地址缺少：语音应用 ID（sdkappid=，即 VoiceSdkAppid）"


def test_a_call_template_over_350_characters_is_refused_at_load(example_config_copy: Path) -> None:
    channels = example_config_copy / "channels.yaml"
    doc = yaml.safe_load(channels.read_text(encoding="utf-8"))
    long_text = "城关县舆情值班提醒：{unit}发生{level}舆情。" + "请尽快登录舆情值班台查看并报告宣传部。" * 20
    doc["channels"].append(
        {
            "id": "voice-t",
            "url": _url("vms.tencentcloudapi.com"),
            "templates": {"call": {"code": "1", "text": long_text}},
        }
    )
    channels.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(example_config_copy)
    [issue] = caught.value.issues
    assert issue.field.endswith("templates.call.text") and "超过腾讯云语音消息的 350 字上限" in issue.message
