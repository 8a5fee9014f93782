"""The Aliyun SMS channel: the official signature examples, and real Apprise sending through the plugin to a
loopback endpoint shaped like dysmsapi (it checks the signature and answers as Aliyun does)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

import pytest
from pydantic import SecretStr

from alerting.delivery.sender import AppriseSender
from channels.aliyun_sms import percent_encode, rpc_signature
from config import Channel, Config

SECRET = "loopback-secret"


def test_signature_matches_aliyun_sendsms_example() -> None:
    params = {
        "AccessKeyId": "testId",
        "Action": "SendSms",
        "Format": "XML",
        "OutId": "123",
        "PhoneNumbers": "15300000001",
        "RegionId": "cn-hangzhou",
        "SignName": "阿里云短信测试专用",
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466",
        "SignatureVersion": "1.0",
        "TemplateCode": "SMS_71390007",
        "TemplateParam": '{"customer":"test"}',
        "Timestamp": "2017-07-12T02:42:19Z",
        "Version": "2017-05-25",
    }
    assert rpc_signature(params, "testSecret") == "zJDF+Lrzhj/ThnlvIToysFRq6t4="


def test_signature_matches_aliyun_rpc_example() -> None:
    params = {
        "Format": "XML",
        "AccessKeyId": "testid",
        "Action": "DescribeRegions",
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf",
        "SignatureVersion": "1.0",
        "Version": "2014-05-26",
        "Timestamp": "2016-02-23T12:46:24Z",
    }
    assert rpc_signature(params, "testsecret") == "OLeaidS1JvxuMvnyHOwuJ+uX5qY="


@pytest.mark.parametrize(
    ("raw", "encoded"), [("a b", "a%20b"), ("*", "%2A"), ("~-_.", "~-_."), ("/=&+", "%2F%3D%26%2B")]
)
def test_percent_encoding(raw: str, encoded: str) -> None:
    assert percent_encode(raw) == encoded


class FakeDysms:
    def __init__(self) -> None:
        self.requests: list[dict[str, str]] = []
        self.answer: dict[str, str] = {"Code": "OK", "Message": "OK", "BizId": "900619746936498440^0"}


@pytest.fixture
def dysms() -> Iterator[tuple[FakeDysms, str]]:
    fake = FakeDysms()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            params = dict(parse_qsl(urlsplit(self.path).query))
            fake.requests.append(params)
            valid = params.get("Signature") == rpc_signature(params, SECRET)
            answer = (
                fake.answer
                if valid
                else {"Code": "SignatureDoesNotMatch", "Message": "Specified signature is not matched"}
            )
            body = json.dumps(answer).encode()
            self.send_response(200 if valid else 400)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield fake, f"127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _sender(url: str) -> AppriseSender:
    return AppriseSender(Config(channels=[Channel(id="sms", url=SecretStr(url))]), timeout_seconds=5)


def _url(address: str, secret: str = SECRET) -> str:
    return (
        f"aliyunsms://LTAItestkey:{secret}@{address}/13800000001/13900000002"
        f"?sign={quote('城关县教育局')}&template=SMS_123456&tls=no"
    )


def test_sends_through_apprise_to_dysms(dysms: tuple[FakeDysms, str]) -> None:
    fake, address = dysms
    result = _sender(_url(address)).send(
        "sms", title="【重大舆情】城关第一中学：学生被殴打", body="级别：重大\n剩余 28 分钟"
    )
    assert result.ok, result.error
    [request] = fake.requests
    assert request["Action"] == "SendSms" and request["PhoneNumbers"] == "13800000001,13900000002"
    assert request["SignName"] == "城关县教育局" and request["TemplateCode"] == "SMS_123456"
    variables = json.loads(request["TemplateParam"])
    assert variables["title"].startswith("【重大舆情】城关第一中学") and "剩余 28 分钟" in variables["content"]
    assert request["AccessKeyId"] == "LTAItestkey" and SECRET not in json.dumps(request)


@pytest.mark.parametrize(
    ("answer", "secret", "reason"),
    [
        (
            {"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "触发小时级流控Permits:5"},
            SECRET,
            "BUSINESS_LIMIT_CONTROL",
        ),
        ({"Code": "isv.MOBILE_NUMBER_ILLEGAL", "Message": "非法手机号"}, SECRET, "MOBILE_NUMBER_ILLEGAL"),
        ({"Code": "OK"}, "wrong-secret", "SignatureDoesNotMatch"),
    ],
)
def test_refusals_are_failures_with_the_reason(
    dysms: tuple[FakeDysms, str], answer: dict[str, str], secret: str, reason: str
) -> None:
    fake, address = dysms
    fake.answer = answer
    result = _sender(_url(address, secret)).send("sms", title="t", body="b")
    assert not result.ok and reason in (result.error or "")
    assert secret not in (result.error or "")


def test_unreachable_endpoint_and_bad_url() -> None:
    result = _sender("aliyunsms://k:s@127.0.0.1:9/13800000001?sign=x&template=SMS_1&tls=no").send(
        "sms", title="t", body="b"
    )
    assert not result.ok
    result = _sender("aliyunsms://k:s@127.0.0.1:9/?sign=x&template=SMS_1&tls=no").send("sms", title="t", body="b")
    assert not result.ok and "缺少：电话号码" in (result.error or "")
