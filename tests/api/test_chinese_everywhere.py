"""Everything a user reads is Chinese, with names from the configuration, never ids (issue 15 §1).

The demo's posts (yuqing/demo/board_seed.yaml: the seed board and the scripted cases) go through analysis, the
alert rules and 16 minutes of the incident clock on the example configuration; incidents are acknowledged,
reported, assigned and noted. Then every dashboard page is rendered in headless Chromium (the text a person
sees, at desktop and phone width, screenshots into $YUQING_SCREENSHOTS), every notification text, every
briefing as PDF (its text through pdftotext), both exports, and the browser and API error answers are read,
and none may show a configuration id or an English word outside ALLOWED."""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from openpyxl import load_workbook
from sqlalchemy import select

from alerting.ack_links import AckLinks
from alerting.clock import clock_tick
from alerting.delivery.models import Delivery
from alerting.delivery.sender import SendResult, deliver_pending
from alerting.delivery.short_text import case_code
from alerting.delivery.templates import step_message
from alerting.incidents import service
from alerting.incidents.models import Incident
from alerting.playbooks import load_playbooks
from alerting.rules import run_rules
from api.app import create_app
from api.state import ApiState
from briefings.periods import beijing_date
from config import Config
from store.mentions import NewMention
from store.workflow.db import utcnow
from web.access import service as access
from web.access.roles import Role

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery"

# English a Chinese user reads anyway, each for a reason:
ALLOWED = {
    "SMS",  # 短信 is the word used, but operators know the channel kind as SMS
    "PDF",  # the briefing download button: the file format's name
    "HTML",  # the briefing's other format
    "CSV",  # export format
    "Excel",  # export format, the program's name
    "IM",  # 即时通讯 channels, as in the dashboard's help text
    "API",  # the analysts' search API named on the search page
    "GBK",  # part of the demo source's configured name 投诉直通车（示例，GBK 编码）
    "AND",  # the query language's operators on the search page's help
    "OR",
    "NOT",
}
ROLE_IDS = {"duty_officer", "secretary", "propaganda", "commentator", "superior", "superiors"}
MACHINE_WORDS = {"escalation", "reminder", "breach", "acknowledged", "reported", "skipped", "incident", "not found"}
URL = re.compile(r"(?:https?|json)://[^\s）)，。\"'<>]+|\b(?:[a-z0-9-]+\.)+(?:cn|com|example)(?:/[^\s）)，。]*)?")
# Words, CamelCase and snake_case split (link texts run together in innerText: 导出：CSVExcel); a lone capital
# is no word (a chart label cut short: 投诉直通车（示例，G…).
WORD = re.compile(r"[A-Z]{2,}(?![a-z])|[A-Z]?[a-z]+")


def config_ids(config: Config) -> set[str]:
    return (
        {s.id for s in config.sources}
        | {s.id for s in config.schemes}
        | {u.id for u in config.units}
        | {c.id for c in config.channels}
        | set(load_playbooks().by_id)
    )


def problems(where: str, text: str, ids: set[str]) -> list[str]:
    """The configuration ids and English words in `text` (URLs, which are addresses, aside)."""
    found: list[str] = []
    for line in text.splitlines():
        plain = URL.sub(" ", line)  # who acted is shown by name alone: a login (演示管理员（demo）) is English here
        for ident in ids | ROLE_IDS:
            if re.search(rf"(?<![\w-]){re.escape(ident)}(?![\w-])", plain):
                found.append(f"{where}: id {ident!r} in {line.strip()[:120]!r}")
        for word in WORD.findall(plain):
            if word not in ALLOWED and word not in POSTERS_WORDS:
                found.append(f"{where}: English {word!r} in {line.strip()[:120]!r}")
    return found


def _posters_words() -> set[str]:
    """English the posters wrote (the demo has a post testing markup): their words, shown as they wrote them."""
    return {w for p in demo_posts() for text in (p.title, p.content, p.author or "") for w in WORD.findall(text)}


# ---- the demo world ----------------------------------------------------------------------------------------


@dataclass
class Demo:
    url: str
    state: ApiState
    config: Config
    token: str
    incidents: list[int]
    shots: Path


class Recording:
    """A channel sender that accepts everything (the texts are read from the outbox)."""

    def send(self, channel_id: str, *, title: str, body: str) -> SendResult:
        return SendResult(True)


def demo_posts() -> list[NewMention]:
    seed = yaml.safe_load((REPO / "yuqing" / "demo" / "board_seed.yaml").read_text(encoding="utf-8"))
    posts = seed["posts"] + seed["script"]
    return [
        NewMention(
            source=f"demo-{p['board']}",
            post_id=str(1000 + i),
            url=f"http://127.0.0.1:8601/{p['board']}/thread/{1000 + i}",
            title=p["title"],
            content=p["content"],
            author=p.get("author"),
            unit="county",
        )
        for i, p in enumerate(posts)
    ]


POSTERS_WORDS = _posters_words()


@pytest.fixture(scope="module")
def demo(module_app_world: Any, module_serve: Any, tmp_path_factory: pytest.TempPathFactory) -> Demo:
    world = module_app_world()  # set up before the server: closed after it stops
    config, sessions = world.config, world.sessions
    # Signed acknowledgement links, as the notifications carry them (made relative: the server's port comes later).
    state = world.state(base_url="http://127.0.0.1", ack_links=AckLinks(b"k" * 32, ""))
    playbooks = world.services.playbooks
    world.add_posts(demo_posts())
    store = world.store
    start = utcnow()
    run_rules(store, sessions, config, playbooks, base_url=state.base_url, now=start)
    for minutes in (0, 6, 11, 16):
        at = start + timedelta(minutes=minutes)
        clock_tick(sessions, config, base_url=state.base_url, now=at, playbooks=playbooks)
        deliver_pending(sessions, Recording(), max_attempts=3, now=at, config=config)
    with sessions.begin() as session:
        ids = list(session.scalars(select(Incident.id).order_by(Incident.id)))
        assert len(ids) >= 2, "the demo's cases open incidents"
        access.create_user(
            session,
            config=config,
            name="demo",
            role=Role.ADMIN,
            unit=None,
            password=PASSWORD,
            display_name="演示管理员",
            actor="test",
            now=start,
        )
        _, token = access.issue_token(session, name="demo", label="test", expires_in=None, actor="test", now=start)
        later = start + timedelta(minutes=17)
        service.acknowledge(session, incident_id=ids[0], actor="演示管理员（demo）", now=later)
        service.record_report(
            session,
            incident_id=ids[0],
            actor="演示管理员（demo）",
            reported_to="县委宣传部",
            channel="电话",
            summary="已电话报告",
            now=later,
        )
        service.assign(
            session,
            incident_id=ids[1],
            assignee="demo",
            assignee_name="演示管理员",
            actor="演示管理员（demo）",
            now=later,
        )
        service.add_note(session, incident_id=ids[1], text="已联系学校核实", actor="演示管理员（demo）", now=later)
        service.set_opinions(  # the secretary's 研判意见 and 处置建议 for the 专报: on the feed and the timeline
            session,
            incident_id=ids[0],
            actor="演示管理员（demo）",
            now=later,
            assessment="校园欺凌，涉及未成年人受伤住院",
            advice="教育局牵头核实，当日公开回应",
        )
    state.base_url = module_serve(create_app(state))
    shots = Path(os.environ.get("YUQING_SCREENSHOTS") or tmp_path_factory.mktemp("screenshots"))
    shots.mkdir(parents=True, exist_ok=True)
    return Demo(state.base_url, state, config, token, ids, shots)


# ---- what people read --------------------------------------------------------------------------------------


def test_notification_texts(demo: Demo) -> None:
    ids = config_ids(demo.config)
    found: list[str] = []
    with demo.state.sessions() as session:
        for d in session.scalars(select(Delivery)):
            found += problems(f"delivery {d.kind}", d.title + "\n" + d.body, ids)
        for incident in session.scalars(select(Incident)):
            for kind in ("alert", "reminder", "escalation", "breach"):
                title, body = step_message(demo.config, incident, kind=kind, base_url=demo.url, now=utcnow())
                found += problems(f"template {kind}", title + "\n" + body, ids)
    assert found == [], "\n".join(found)


def _pdf_text(pdf: bytes, folder: Path, name: str) -> str:
    assert pdf.startswith(b"%PDF-"), pdf[:200]
    path = folder / f"{name}.pdf"
    path.write_bytes(pdf)
    pdftotext = shutil.which("pdftotext")
    assert pdftotext, "pdftotext (poppler-utils) is needed; .ci/run installs it"
    return subprocess.run([pdftotext, "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def test_briefings_and_exports(demo: Demo) -> None:
    ids = config_ids(demo.config)
    today = beijing_date(utcnow()).isoformat()
    found: list[str] = []
    with httpx.Client(base_url=demo.url, headers={"Authorization": f"Bearer {demo.token}"}, timeout=120) as client:
        documents = {
            "daily": f"/api/v1/briefings/daily?date={today}&format=pdf",
            "weekly": f"/api/v1/briefings/weekly?start={today}&format=pdf",
            "analysis": f"/api/v1/briefings/analysis?first={today}&last={today}&format=pdf",
            **{f"incident-{i}": f"/api/v1/briefings/incidents/{i}?format=pdf" for i in demo.incidents},
        }
        for name, path in documents.items():
            response = client.get(path)
            assert response.status_code == 200, (path, response.text[:300])
            text = _pdf_text(response.content, demo.shots, name)
            assert "舆情" in text
            found += problems(f"briefing {name}", text, ids)
        exported = client.get("/api/v1/mentions/export", params={"format": "csv"})
        assert exported.status_code == 200
        rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
        assert len(rows) > 10
        found += problems("CSV", "\n".join("\t".join(r) for r in rows), ids)
        sheet = load_workbook(
            io.BytesIO(client.get("/api/v1/mentions/export", params={"format": "xlsx"}).content)
        ).active
        assert sheet is not None
        cells = ["\t".join("" if c.value is None else str(c.value) for c in row) for row in sheet.iter_rows()]
        found += problems("xlsx", "\n".join(cells), ids)
        # The SMS's fixed link: /a/CODE opens the incident's page.
        link = client.get(f"/a/{case_code(demo.incidents[0])}")
        assert link.status_code == 303 and link.headers["location"] == f"/incidents/{demo.incidents[0]}"
        # Only the audit log, an administrator's, keeps the login beside the name: two people of one name apart.
        audit = client.get("/api/v1/audit", params={"action": "incident.report"})
        assert audit.status_code == 200, audit.text[:300]
        assert {e["actor"] for e in audit.json()} == {"演示管理员（demo）"}
        missing = client.get("/api/v1/incidents/999999")
        assert missing.status_code == 404 and missing.json()["detail"] == "incident not found"  # the machine shape
        found += problems("API error", missing.json()["message"], ids)
    assert found == [], "\n".join(found)


def test_dashboard_pages_at_desktop_and_phone_width(demo: Demo, chrome: Any) -> None:
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    ids = config_ids(demo.config)
    assert demo.state.ack_links is not None
    ack = demo.state.ack_links.link  # the one-click page of a notification, before and after it was used
    recipient = "county-edu:教育局党委书记"

    def settled(d: Any) -> bool:
        """The pages fill themselves from the API: done when the document is and nothing says 加载中."""
        text = d.execute_script("return document.readyState === 'complete' && document.body.innerText")
        return bool(text) and "加载中" not in text

    pages = {
        "board": "/",
        **{f"incident-{i}": f"/incidents/{i}" for i in demo.incidents[:3]},
        "search": "/search?q=" + "学校",
        "sources": "/sources",
        "briefings": "/briefings",
        "bad-incident": "/incidents/abc",
        "unknown": "/no-such-page",
        "missing-incident": "/incidents/999999",
        "inbox-link": "/a/ZZZZZZZZZ",
        "ack-open": ack(demo.incidents[1], recipient),
        "ack-used": ack(demo.incidents[0], recipient),
        "ack-forged": ack(demo.incidents[1], recipient)[:-4] + "AAAA",
    }
    driver = chrome(window=None, page_load_timeout=30)
    found: list[str] = []  # the driver is quit with the module's browsers
    driver.get(f"{demo.url}/login")
    found += problems("login", driver.execute_script("return document.title + '\\n' + document.body.innerText"), ids)
    driver.find_element(By.NAME, "name").send_keys("demo")
    driver.find_element(By.NAME, "password").send_keys(PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    WebDriverWait(driver, 15).until(lambda d: "/login" not in d.current_url)
    for width, height, label in ((1280, 900, "desktop"), (375, 812, "phone")):
        driver.set_window_size(width, height)
        for name, path in pages.items():
            driver.get(demo.url + path)
            # The pages fill themselves from the API: wait until nothing says it is still loading.
            try:
                WebDriverWait(driver, 20).until(settled)
            except TimeoutException:
                pytest.fail(f"{name} still loading: {driver.execute_script('return document.body.innerText')[:800]}")
            time.sleep(1.0)  # the live feed and the countdown settle
            text = driver.execute_script("return document.title + '\\n' + document.body.innerText")
            assert re.search(r"[\u4e00-\u9fff]", text), (name, text[:300])
            found += problems(f"{label} {name}", text, ids)
            if label == "desktop" or name in {"board", "incident-" + str(demo.incidents[0])}:
                height_px = driver.execute_script("return document.documentElement.scrollHeight")
                driver.set_window_size(width, min(max(height, height_px), 6000))
                driver.save_screenshot(str(demo.shots / f"chinese-{label}-{name}.png"))
                driver.set_window_size(width, height)
    assert found == [], "\n".join(found)
