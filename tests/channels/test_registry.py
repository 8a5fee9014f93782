"""The channel plugins by scheme, their one URL check, and Apprise's judgement of every other channel URL."""

from __future__ import annotations

import pytest

from channels import ChannelUrlError, plugin_for, plugins
from channels.check import url_problem


def test_every_plugin_module_is_found_by_its_scheme() -> None:
    found = plugins()
    assert {"aliyunsms", "tencentsms", "aliyunvoice"} <= set(found)
    for scheme, plugin in found.items():
        assert plugin.scheme == scheme and plugin.name and plugin.provider and plugin.variable_limit > 0
    assert plugin_for("ALIYUNSMS://k:s@h/138?sign=x") is found["aliyunsms"]
    assert plugin_for("dingtalk://token/") is None


def test_one_parse_names_every_missing_part_in_chinese() -> None:
    with pytest.raises(ChannelUrlError) as caught:
        plugins()["tencentsms"].parse("tencentsms://@sms.tencentcloudapi.com/?region=ap-guangzhou", bare=True)
    assert caught.value.missing == ["phone numbers", "sdkappid", "sign", "template", "key"]
    message = str(caught.value)
    assert (
        message.startswith("腾讯云短信渠道地址缺少：电话号码") and "sdkappid=" in message and "KEY:SECRET@" in message
    )
    target = plugins()["tencentsms"].parse(
        "tencentsms://ID:KEY@127.0.0.1:8080/13800000001?sdkappid=1400&sign=x&tls=no", bare=False
    )
    assert target.endpoint == "http://127.0.0.1:8080" and target.host == "127.0.0.1:8080"
    assert (target.key, target.secret, target.phones) == ("ID", "KEY", ("13800000001",))


@pytest.mark.parametrize(
    ("url", "templates", "said"),
    [
        ("dingtak://0123456789abcdef/", False, "未知的渠道类型 dingtak://"),
        ("dingtalk://has-dashes/", False, "Apprise 无法使用该 dingtalk:// 地址"),
        ("no-scheme-at-all", False, "不是通知渠道地址"),
        ("aliyunsms://k:s@dysmsapi.aliyuncs.com/13800000001?template=SMS_1", False, "短信签名（sign=）"),
        ("aliyunvoice://k:s@dyvmsapi.aliyuncs.com/13800000001", False, "模板（template="),
        ("aliyunvoice://k:s@dyvmsapi.aliyuncs.com/13800000001?rto=soon", True, "rto= 应为数字"),
    ],
)
def test_a_bad_channel_url_says_why(url: str, templates: bool, said: str) -> None:
    problem = url_problem(url, has_templates=templates)
    assert problem is not None and said in problem, problem


@pytest.mark.parametrize(
    ("url", "templates"),
    [
        ("json://127.0.0.1:8600/demo/inbox/county-duty", False),
        ("mailto://duty:pw@example.com", False),
        ("aliyunvoice://k:s@dyvmsapi.aliyuncs.com/13800000001", True),  # templates in channels.yaml
        ("aliyunsms://k:s@dysmsapi.aliyuncs.com/13800000001?sign=x&template=SMS_1", False),
    ],
)
def test_a_good_channel_url_passes(url: str, templates: bool) -> None:
    assert url_problem(url, has_templates=templates) is None


def test_apprises_reason_never_echoes_the_token() -> None:
    problem = url_problem("dingtalk://env-secret-123/", has_templates=False)
    assert problem is not None and "env-secret-123" not in problem and "***" in problem
