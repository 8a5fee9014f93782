"""SMS through approved templates and phone calls, end to end over loopback endpoints shaped like the providers':
a Tencent Cloud SMS endpoint that checks the TC3-HMAC-SHA256 signature, an Aliyun endpoint that checks the RPC
signature and answers SendSms, SingleCallByTts and QueryCallDetailByCallId (answered, busy or failed as the test
says). An incident opens on the example configuration with SMS and voice channels added; the playbook's
5-minute escalation phones the secretary, a call nobody takes falls back to SMS, and the short variables fit the
providers' limits. Also: template checks at load (file and field), the case code and /a/CODE, and merging
steps due for one person within a minute."""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

import pytest
import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from alerting.clock import clock_tick
from alerting.delivery.models import Delivery, DeliveryAttempt
from alerting.delivery.sender import AppriseSender, deliver_pending
from alerting.delivery.short_text import case_code, incident_of_code
from alerting.incidents.models import Incident, TimelineEntry
from alerting.incidents.service import acknowledge
from alerting.playbooks import load_playbooks
from alerting.rules import run_rules
from analysis.analyser import Analyser
from channels.aliyun_sms import rpc_signature
from config import Config, ConfigError, load_config
from store.mentions import NewMention
from store.mentions.sqlite import SqliteMentionStore
from store.workflow import make_engine, make_session_factory
from store.workflow.migrate import upgrade

REPO = Path(__file__).resolve().parents[2]
ALIYUN_SECRET = "aliyun-loopback-secret"
TENCENT_ID = "AKIDloopback"
TENCENT_KEY = "tencent-loopback-key"
BULLYING = ("城关第一中学学生被殴打住院", "城关一中初二学生被多名同学围殴，头部受伤住院，家长要求学校给说法。")


# ---- the loopback providers -------------------------------------------------------------------------------


@dataclass
class Providers:
    address: str = ""
    tencent: list[dict[str, Any]] = field(default_factory=list)
    aliyun_sms: list[dict[str, str]] = field(default_factory=list)
    calls: list[dict[str, str]] = field(default_factory=list)
    tencent_calls: list[dict[str, Any]] = field(default_factory=list)  # SendTtsVoice (vms)
    call_state: str = "200000"  # what QueryCallDetailByCallId says of every call
    bad_signatures: int = 0


@pytest.fixture
def providers(tc3_expected: Any) -> Iterator[Providers]:
    state = Providers()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _answer(self, status: int, answer: dict[str, Any]) -> None:
            body = json.dumps(answer, ensure_ascii=False).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:  # Tencent Cloud API 3.0
            payload = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            headers = {k.lower(): v for k, v in self.headers.items()}
            auth = headers.get("authorization", "")
            signature = auth.rsplit("Signature=", 1)[-1]
            action = headers.get("x-tc-action")
            service = {"SendSms": "sms", "SendTtsVoice": "vms"}.get(action or "", "")
            if (
                not auth.startswith(f"TC3-HMAC-SHA256 Credential={TENCENT_ID}/")
                or f"/{service}/tc3_request" not in auth
                or signature != tc3_expected(headers, payload, TENCENT_KEY, service)
            ):
                state.bad_signatures += 1
                self._answer(200, {"Response": {"Error": {"Code": "AuthFailure.SignatureFailure", "Message": "x"}}})
                return
            body = json.loads(payload)
            if action == "SendTtsVoice":  # placed; whether it is answered Tencent tells only a callback URL
                state.tencent_calls.append(body)
                self._answer(
                    200, {"Response": {"SendStatus": {"CallId": "c1", "SessionContext": ""}, "RequestId": "r"}}
                )
                return
            state.tencent.append(body)
            statuses = [
                {"Code": "Ok", "Message": "send success", "SerialNo": "2019:1", "PhoneNumber": p}
                for p in body["PhoneNumberSet"]
            ]
            self._answer(200, {"Response": {"SendStatusSet": statuses, "RequestId": "r1"}})

        def do_GET(self) -> None:  # Aliyun RPC
            params = dict(parse_qsl(urlsplit(self.path).query))
            if params.get("Signature") != rpc_signature(params, ALIYUN_SECRET):
                state.bad_signatures += 1
                self._answer(400, {"Code": "SignatureDoesNotMatch", "Message": "x"})
                return
            action = params["Action"]
            if action == "SendSms":
                state.aliyun_sms.append(params)
                self._answer(200, {"Code": "OK", "Message": "OK", "BizId": "1^0"})
            elif action == "SingleCallByTts":
                state.calls.append(params)
                self._answer(200, {"Code": "OK", "Message": "OK", "CallId": f"call-{len(state.calls)}"})
            elif action == "QueryCallDetailByCallId":
                data = {"state": state.call_state, "stateDesc": {"200002": "用户忙"}.get(state.call_state, "")}
                self._answer(200, {"Code": "OK", "Message": "OK", "Data": json.dumps(data)})
            else:
                self._answer(400, {"Code": "InvalidAction", "Message": action})

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    state.address = f"127.0.0.1:{server.server_address[1]}"
    yield state
    server.shutdown()
    server.server_close()


# ---- a configuration with SMS and voice channels --------------------------------------------------------

SMS_TEXT = "{level}舆情：{unit}有新帖，请{left}分钟内报告宣传部 yq.example.cn/a/{code}"


def write_config(target: Path, channels: list[dict[str, Any]], school_channels: list[str]) -> Path:
    shutil.copytree(REPO / "config" / "example", target)
    doc = yaml.safe_load((target / "channels.yaml").read_text(encoding="utf-8"))
    doc["channels"].extend(channels)
    (target / "channels.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    units = yaml.safe_load((target / "units.yaml").read_text(encoding="utf-8"))
    school = next(u for u in units["units"] if u["id"] == "school-no1")
    school["duty"][0]["channels"] = school_channels
    (target / "units.yaml").write_text(yaml.safe_dump(units, allow_unicode=True), encoding="utf-8")
    return target


def phone_channels(address: str) -> list[dict[str, Any]]:
    sign = quote("城关县教育局")
    templates = {kind: {"code": f"SMS_{kind}", "text": SMS_TEXT} for kind in ("alert", "reminder", "escalation")}
    templates["breach"] = {
        "code": "SMS_breach",
        "text": "{unit}{level}舆情已超时未报告，请立即报告 yq.example.cn/a/{code}",
    }
    return [
        {
            "id": "voice-school",
            "name": "一中书记电话",
            "url": f"aliyunvoice://LTAIkey:{ALIYUN_SECRET}@{address}/13800000001?show=057100000000&tls=no&poll=0",
            "templates": {
                "call": {
                    "code": "TTS_1",
                    "text": "城关县舆情值班提醒：{unit}发生{level}舆情，请{left}分钟内报告宣传部。",
                }
            },
        },
        {
            "id": "sms-school-tencent",
            "name": "一中书记短信",
            "url": f"tencentsms://{TENCENT_ID}:{TENCENT_KEY}@{address}/13800000001?sdkappid=1400000001&sign={sign}&tls=no",
            "templates": templates,
        },
    ]


@dataclass
class Site:
    config: Config
    store: SqliteMentionStore
    sessions: sessionmaker[Session]
    analyser: Analyser

    def open_bullying_case(self) -> tuple[int, datetime]:
        self.store.upsert_many(
            [
                NewMention(
                    source="demo-baixing",
                    post_id="1",
                    url="http://board/t/1",
                    title=BULLYING[0],
                    content=BULLYING[1],
                    unit="county",
                )
            ]
        )
        mention_id = "demo-baixing:1"
        self.store.save_analysis(
            [(mention_id, self.analyser.analyse(title=BULLYING[0], content=BULLYING[1], default_unit="county"))]
        )
        mention = self.store.get(mention_id)
        assert mention is not None
        opened = run_rules(
            self.store, self.sessions, self.config, load_playbooks(), base_url="http://yq", now=mention.discovered_at
        )
        assert opened == 1
        with self.sessions() as session:
            incident = session.scalars(select(Incident)).one()
            return incident.id, incident.discovered_at


@pytest.fixture
def site(tmp_path: Path, providers: Providers) -> Site:
    directory = write_config(
        tmp_path / "config",
        phone_channels(providers.address),
        ["voice-school", "sms-school-tencent", "inbox-school-secretary"],
    )
    config = load_config(directory)
    url = f"sqlite:///{tmp_path / 'wf.sqlite3'}"
    upgrade(url)
    return Site(
        config, SqliteMentionStore(tmp_path / "m.sqlite3"), make_session_factory(make_engine(url)), Analyser(config)
    )


def attempts_of(site: Site, kind_prefix: str, recipient: str) -> list[tuple[str, bool, str | None]]:
    with site.sessions() as session:
        rows = session.execute(
            select(DeliveryAttempt.channel, DeliveryAttempt.ok, DeliveryAttempt.error)
            .join(Delivery)
            .where(Delivery.kind.startswith(kind_prefix), Delivery.recipient == recipient)
            .order_by(DeliveryAttempt.id)
        ).all()
    return [(c, ok, err) for c, ok, err in rows]


SECRETARY = "school-no1:一中党支部书记"


def test_the_alert_goes_by_tencent_sms_with_short_variables_and_the_fixed_link(
    site: Site, providers: Providers
) -> None:
    incident_id, discovered = site.open_bullying_case()
    sender = AppriseSender(site.config, timeout_seconds=5)
    deliver_pending(site.sessions, sender, max_attempts=3, now=discovered + timedelta(seconds=2), config=site.config)
    assert providers.bad_signatures == 0
    # The alert does not phone (voice is for steps marked call); the SMS carries the variables in template order.
    assert providers.calls == []
    [sms] = providers.tencent
    assert sms["TemplateId"] == "SMS_alert" and sms["PhoneNumberSet"] == ["+8613800000001"]
    assert sms["TemplateParamSet"] == ["重大", "城关一中", "30", case_code(incident_id)]
    assert all(len(v) <= 6 for v in sms["TemplateParamSet"])  # Tencent's limit for a variable
    text = "【城关县教育局】" + SMS_TEXT.replace("{level}", "重大").replace("{unit}", "城关一中")
    text = text.replace("{left}", "30").replace("{code}", case_code(incident_id))
    assert len(text) <= 70, text  # one segment
    assert attempts_of(site, "alert", SECRETARY) == [("sms-school-tencent", True, None)]


def test_the_escalation_phones_the_secretary_and_an_answered_call_is_enough(site: Site, providers: Providers) -> None:
    _, discovered = site.open_bullying_case()
    sender = AppriseSender(site.config, timeout_seconds=5)
    deliver_pending(site.sessions, sender, max_attempts=3, now=discovered, config=site.config)
    at = discovered + timedelta(minutes=5, seconds=1)
    clock_tick(site.sessions, site.config, base_url="http://yq", now=at, playbooks=load_playbooks())
    deliver_pending(site.sessions, sender, max_attempts=3, now=at, config=site.config)
    [call] = providers.calls
    assert call["CalledNumber"] == "13800000001" and call["TtsCode"] == "TTS_1"
    assert json.loads(call["TtsParam"]) == {"unit": "城关一中", "level": "重大", "left": "25"}
    assert attempts_of(site, "escalation", SECRETARY) == [("voice-school", True, None)]
    assert len(providers.tencent) == 1  # only the alert's SMS: the answered call needed no SMS
    with site.sessions() as session:
        details = [t.detail for t in session.scalars(select(TimelineEntry).order_by(TimelineEntry.id))]
    assert "5分钟未确认，升级电话通知书记" in details
    assert "已通知 一中党支部书记（一中书记电话）" in details


@pytest.mark.parametrize(
    ("state", "said"),
    [("200002", "电话忙线（用户占线）"), ("200005", "电话未接通（被叫无法接通）"), ("200010", "电话未接通（关机）")],
)
def test_a_call_not_answered_is_recorded_and_falls_back_to_sms(
    site: Site, providers: Providers, state: str, said: str
) -> None:
    providers.call_state = state
    _, discovered = site.open_bullying_case()
    sender = AppriseSender(site.config, timeout_seconds=5)
    at = discovered + timedelta(minutes=5, seconds=1)
    clock_tick(site.sessions, site.config, base_url="http://yq", now=at, playbooks=load_playbooks())
    deliver_pending(site.sessions, sender, max_attempts=3, now=at, config=site.config)
    assert attempts_of(site, "escalation", SECRETARY) == [
        ("voice-school", False, said),
        ("sms-school-tencent", True, None),
    ]
    assert providers.tencent[-1]["TemplateId"] == "SMS_escalation"


def test_steps_due_within_a_minute_for_one_person_go_as_one_message(site: Site, providers: Providers) -> None:
    """The service was down for 12 minutes: the alert, the 5-minute escalation and the 10-minute reminder are all
    due at once. The secretary gets one message — the call, since one of the steps phones — not three."""
    _, discovered = site.open_bullying_case()
    at = discovered + timedelta(minutes=12)
    clock_tick(site.sessions, site.config, base_url="http://yq", now=at, playbooks=load_playbooks())
    deliver_pending(
        site.sessions, AppriseSender(site.config, timeout_seconds=5), max_attempts=3, now=at, config=site.config
    )
    with site.sessions() as session:
        rows = session.scalars(select(Delivery).where(Delivery.recipient == SECRETARY).order_by(Delivery.id)).all()
        statuses = {d.kind: d.status for d in rows}
        carrier = next(d for d in rows if d.status == "sent")
        assert carrier.title.startswith("【3条通知】")
    assert sorted(statuses.values()) == ["merged", "merged", "sent"]
    assert len(providers.calls) == 1 and providers.tencent == []


@pytest.mark.parametrize("acknowledged", [False, True])
def test_a_tencent_call_not_confirmed_in_time_falls_back_to_sms(
    tmp_path: Path, providers: Providers, acknowledged: bool
) -> None:
    """Tencent cannot be asked whether a call was answered: the SMS follows `confirm` seconds after the call
    unless the incident has been acknowledged by then."""
    voice = {
        "id": "voice-school-tencent",
        "name": "一中书记电话（腾讯云）",
        "url": f"tencentvoice://{TENCENT_ID}:{TENCENT_KEY}@{providers.address}/13800000001"
        "?sdkappid=1400000009&tls=no&confirm=90",
        "templates": {
            "call": {"code": "4356", "text": "城关县舆情值班提醒：{unit}发生{level}舆情，请{left}分钟内报告。"}
        },
    }
    directory = write_config(
        tmp_path / "config",
        [voice, *phone_channels(providers.address)[1:]],
        ["voice-school-tencent", "sms-school-tencent", "inbox-school-secretary"],
    )
    config = load_config(directory)
    url = f"sqlite:///{tmp_path / 'wf.sqlite3'}"
    upgrade(url)
    site = Site(
        config, SqliteMentionStore(tmp_path / "m.sqlite3"), make_session_factory(make_engine(url)), Analyser(config)
    )
    incident_id, discovered = site.open_bullying_case()
    sender = AppriseSender(site.config, timeout_seconds=5)
    at = discovered + timedelta(minutes=5, seconds=1)
    clock_tick(site.sessions, site.config, base_url="http://yq", now=at, playbooks=load_playbooks())
    deliver_pending(site.sessions, sender, max_attempts=3, now=at, config=site.config)
    assert providers.bad_signatures == 0 and len(providers.tencent_calls) == 1
    assert attempts_of(site, "escalation", SECRETARY) == [("voice-school-tencent", True, None)]
    sms_before = len(providers.tencent)
    # Not yet: the secretary has 90 seconds to acknowledge after the call.
    deliver_pending(site.sessions, sender, max_attempts=3, now=at + timedelta(seconds=60), config=site.config)
    assert len(providers.tencent) == sms_before
    if acknowledged:
        with site.sessions.begin() as session:
            acknowledge(session, incident_id=incident_id, actor="一中党支部书记", now=at + timedelta(seconds=70))
    deliver_pending(site.sessions, sender, max_attempts=3, now=at + timedelta(seconds=91), config=site.config)
    with site.sessions() as session:
        [fallback] = session.scalars(select(Delivery).where(Delivery.kind.endswith("~unconfirmed"))).all()
        assert fallback.recipient == SECRETARY and fallback.channels == "sms-school-tencent,inbox-school-secretary"
        status = fallback.status
    if acknowledged:
        assert status == "not_needed" and len(providers.tencent) == sms_before
    else:
        assert status == "sent" and providers.tencent[-1]["TemplateId"] == "SMS_escalation"
        assert len(providers.tencent) == sms_before + 1


# ---- templates checked at load ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("{level}舆情：{unit}，请{left}分钟内报告 {site}", "未知变量 site"),
        ("【提醒】{level}舆情：{unit} yq.example.cn/a/{code}", "不能含【】"),
        ("{level}舆情：{unit}，详见 http://{code}.example.cn/a", "不能放在变量里"),
        (
            "{level}舆情：{unit}" + "请尽快登录舆情值班台查看处置并报告宣传部" * 3 + "yq.example.cn/a/{code}",
            "请缩短到 70 字以内",
        ),
    ],
)
def test_a_template_the_carrier_would_refuse_is_refused_at_load(tmp_path: Path, text: str, problem: str) -> None:
    channel = phone_channels("127.0.0.1:9")[1]
    channel["templates"] = {"alert": {"code": "1", "text": text}}
    with pytest.raises(ConfigError) as caught:
        load_config(write_config(tmp_path / "c", [channel], ["inbox-school-secretary"]))
    [issue] = caught.value.issues
    assert issue.file.endswith("channels.yaml") and issue.field.endswith("templates.alert.text")
    assert problem in issue.message, issue.message


def test_tencent_refuses_unit_short_names_longer_than_six(tmp_path: Path) -> None:
    directory = write_config(tmp_path / "c", [phone_channels("127.0.0.1:9")[1]], ["inbox-school-secretary"])
    units = yaml.safe_load((directory / "units.yaml").read_text(encoding="utf-8"))
    units["units"][0]["short_name"] = "城关县人民政府办公室"
    (directory / "units.yaml").write_text(yaml.safe_dump(units, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(directory)
    assert any("城关县人民政府办公室（10字）" in i.message for i in caught.value.issues)


# ---- the case code and its short link ---------------------------------------------------------------------


@pytest.mark.parametrize("incident_id", [1, 31, 32, 1033, 99_999, 32**6 - 1])  # six characters: a billion cases
def test_case_codes_round_trip_and_stay_short(incident_id: int) -> None:
    code = case_code(incident_id)
    assert len(code) <= 6 and incident_of_code(code) == incident_id and incident_of_code(code.lower()) == incident_id


@pytest.mark.parametrize("code", ["", "0", "O1I", "ZZZZZZZZ"])
def test_what_is_not_a_case_code(code: str) -> None:
    assert incident_of_code(code) is None


def test_aliyun_sms_gets_the_named_variables(tmp_path: Path, providers: Providers) -> None:
    sign = quote("城关县教育局")
    channel = {
        "id": "sms-school-aliyun",
        "name": "一中书记短信",
        "url": f"aliyunsms://LTAIkey:{ALIYUN_SECRET}@{providers.address}/13800000001?sign={sign}&tls=no",
        "templates": {"alert": {"code": "SMS_900", "text": SMS_TEXT}},
    }
    config = load_config(write_config(tmp_path / "config", [channel], ["sms-school-aliyun"]))
    url = f"sqlite:///{tmp_path / 'wf.sqlite3'}"
    upgrade(url)
    site = Site(
        config, SqliteMentionStore(tmp_path / "m.sqlite3"), make_session_factory(make_engine(url)), Analyser(config)
    )
    incident_id, discovered = site.open_bullying_case()
    deliver_pending(
        site.sessions, AppriseSender(config, timeout_seconds=5), max_attempts=3, now=discovered, config=config
    )
    [sms] = providers.aliyun_sms
    assert sms["TemplateCode"] == "SMS_900" and sms["PhoneNumbers"] == "13800000001"
    assert json.loads(sms["TemplateParam"]) == {
        "level": "重大",
        "unit": "城关一中",
        "left": "30",
        "code": case_code(incident_id),
    }
    assert providers.bad_signatures == 0


def test_a_call_step_without_a_voice_channel_says_no_phone(tmp_path: Path) -> None:
    config = load_config(write_config(tmp_path / "config", [], ["inbox-school-secretary"]))
    url = f"sqlite:///{tmp_path / 'wf.sqlite3'}"
    upgrade(url)
    site = Site(
        config, SqliteMentionStore(tmp_path / "m.sqlite3"), make_session_factory(make_engine(url)), Analyser(config)
    )
    _, discovered = site.open_bullying_case()
    clock_tick(
        site.sessions, config, base_url="http://yq", now=discovered + timedelta(minutes=5), playbooks=load_playbooks()
    )
    with site.sessions() as session:
        details = [t.detail for t in session.scalars(select(TimelineEntry))]
    assert "5分钟未确认，升级通知书记" in details
