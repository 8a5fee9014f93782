"""The briefing routes (HTML and ?format=pdf, with a content security policy) and `yuqing briefing`."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from api.state import ApiState
from briefings import periods
from config import ConfigError, load_config

World = Any  # the `briefing_world` fixture from conftest.py
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def client(briefing_world: World, user_token: Any) -> TestClient:
    now = periods.daily(briefing_world.day).until + timedelta(hours=8)
    state = briefing_world.root.state(base_url="http://yq.example", now=lambda: now)
    app = create_app(state)
    return TestClient(app, headers={"Authorization": f"Bearer {user_token(state, 'briefing-admin', 'admin')}"})


def test_briefings_need_a_user_and_stay_within_their_units(
    client: TestClient, briefing_world: World, user_token: Any
) -> None:
    app = client.app
    assert isinstance(app, FastAPI)
    assert TestClient(app).get("/api/v1/briefings/daily").status_code == 401
    state: ApiState = app.state.yuqing
    secretary = TestClient(
        app, headers={"Authorization": f"Bearer {user_token(state, 'sec-no1', 'secretary', 'school-no1')}"}
    )
    day = briefing_world.day.isoformat()
    assert secretary.get("/api/v1/briefings/daily", params={"date": day, "unit": "county"}).status_code == 403
    own = secretary.get("/api/v1/briefings/daily", params={"date": day})
    assert own.status_code == 200 and "城关第一中学" in own.text


def test_daily_html_and_pdf(client: TestClient, briefing_world: World) -> None:
    day = briefing_world.day.isoformat()
    page = client.get("/api/v1/briefings/daily", params={"date": day, "unit": "school-no1"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert "城关第一中学" in page.text and "<script>" not in page.text
    assert re.search(r'<div class="v">5</div><div class="k">信息总量', page.text)
    pdf = client.get("/api/v1/briefings/daily", params={"date": day, "unit": "school-no1", "format": "pdf"})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    assert (
        pdf.headers["content-disposition"]
        == f'attachment; filename="briefing-daily-{day.replace("-", "")}-school-no1.pdf"'
    )


def test_daily_pdf_key_posts_table_gives_each_column_its_room(
    client: TestClient, briefing_world: World, tmp_path: Path
) -> None:
    """§六 重点帖文 spans the page with fixed columns: a time and a unit's name each print on one line (the
    table sized by its content squeezed 城关县教育局 into 城关县教 / 育局)."""
    pdftotext = shutil.which("pdftotext")
    if pdftotext is None:
        pytest.skip("pdftotext (poppler-utils) is not installed; .ci/run installs it")
    pdf = client.get("/api/v1/briefings/daily", params={"date": briefing_world.day.isoformat(), "format": "pdf"})
    assert pdf.status_code == 200
    (tmp_path / "daily.pdf").write_bytes(pdf.content)
    text = subprocess.run(
        [pdftotext, "-layout", str(tmp_path / "daily.pdf"), "-"], capture_output=True, text=True, check=True
    ).stdout
    section = text.split("六、重点帖文", 1)[1].split("七、", 1)[0]
    units = {u.name for u in briefing_world.config.units}
    rows = [line.strip() for line in section.splitlines() if re.match(r"\s*\d\d-\d\d \d\d:\d\d\s", line)]
    assert rows, section
    assert all(any(line.endswith(name) for name in units) for line in rows), "\n".join(rows)


def test_the_daily_default_is_today_so_far_and_an_empty_day_says_so(client: TestClient, briefing_world: World) -> None:
    # The client's clock is 08:00 (Beijing) the day after the world's day: one default for the page, the API
    # and `yuqing briefing daily` — today so far, not yesterday.
    today = briefing_world.day + timedelta(days=1)
    page = client.get("/api/v1/briefings/daily")
    assert page.status_code == 200 and "<h1>舆情日报</h1>" in page.text
    # A period still running says so: 截至 the moment it was made.
    assert f"{periods.daily(today).label}（北京时间，截至 {today.isoformat()} 08:00）" in page.text, page.text[:2000]
    empty = client.get("/api/v1/briefings/daily", params={"date": "2020-01-02"})
    assert "2020年1月2日 没有监测数据（0 条帖文、0 起事件）" in empty.text
    busy = client.get("/api/v1/briefings/daily", params={"date": briefing_world.day.isoformat()})
    assert "没有监测数据" not in busy.text


def test_the_weekly_default_is_this_week_so_far(client: TestClient, briefing_world: World) -> None:
    """Like the 日报: 本周 from its first day (weekly_on, Monday) to now — not last week, which the schedule sent
    and which a fresh installation has nothing in."""
    today = briefing_world.day + timedelta(days=1)
    week = periods.weekly(today - timedelta(days=today.isoweekday() - 1))
    page = client.get("/api/v1/briefings/weekly")
    assert page.status_code == 200 and "<h1>舆情周报</h1>" in page.text
    assert f"{week.label}（北京时间，截至 {today.isoformat()} 08:00）" in page.text, page.text[:2000]
    assert ("没有监测数据" in page.text) == (briefing_world.day < week.first)  # the world's posts, if in this week
    finished = client.get("/api/v1/briefings/weekly", params={"start": (week.first - timedelta(days=7)).isoformat()})
    assert "截至" not in finished.text.split("</header>")[0]  # a past week is whole


def test_weekly_and_analysis(client: TestClient, briefing_world: World) -> None:
    start = briefing_world.day - timedelta(days=3)
    weekly = client.get("/api/v1/briefings/weekly", params={"start": start.isoformat()})
    assert weekly.status_code == 200 and "舆情周报" in weekly.text and periods.weekly(start).label in weekly.text
    first, last = briefing_world.day - timedelta(days=40), briefing_world.day + timedelta(days=1)
    report = client.get("/api/v1/briefings/analysis", params={"first": first.isoformat(), "last": last.isoformat()})
    assert report.status_code == 200 and "舆情分析研判报告" in report.text
    # 42 days: one bar a day; all ten posts (the day before, the eight of the day, the day after) are in.
    assert "信息走势（按日，北京时间）" in report.text and "网络信息 10 条" in report.text


def test_incident_report_route(client: TestClient, briefing_world: World) -> None:
    incident = briefing_world.incidents["bullying"]
    page = client.get(f"/api/v1/briefings/incidents/{incident}")
    assert page.status_code == 200 and "舆情专报" in page.text and "按时报告" in page.text
    pdf = client.get(f"/api/v1/briefings/incidents/{incident}", params={"format": "pdf"})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")


@pytest.mark.parametrize(
    ("path", "params", "status"),
    [
        ("/api/v1/briefings/daily", {"unit": "nope"}, 404),
        ("/api/v1/briefings/daily", {"format": "docx"}, 422),
        ("/api/v1/briefings/daily", {"date": "2026-13-01"}, 422),
        ("/api/v1/briefings/analysis", {"first": "2026-11-20", "last": "2026-11-10"}, 422),
        ("/api/v1/briefings/analysis", {"first": "2020-01-01", "last": "2026-01-01"}, 422),
        ("/api/v1/briefings/incidents/99999", {}, 404),
    ],
)
def test_bad_requests_are_clear(client: TestClient, path: str, params: dict[str, str], status: int) -> None:
    response = client.get(path, params=params)
    assert response.status_code == status
    assert response.json()["detail"]


def test_cli_writes_a_pdf_briefing(tmp_path: Path) -> None:
    data = tmp_path / "data"
    out = tmp_path / "daily.pdf"
    command = [sys.executable, "-m", "yuqing", "briefing", "daily", "--date", "2026-11-23", "--unit", "county"]
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    args = ["--config", str(REPO / "config" / "example"), "--data", str(data), "--out", str(out)]
    done = subprocess.run([*command, *args], capture_output=True, text=True, env=env, cwd=REPO, timeout=120)
    assert done.returncode == 0, done.stderr
    assert out.read_bytes().startswith(b"%PDF-") and "已写入" in done.stdout
    assert "2026年11月23日 没有监测数据" in done.stderr  # an empty store: said, not a silent blank report
    assert "Step" not in done.stderr and "PDF metadata" not in done.stderr  # WeasyPrint's narration stays out
    assert "Ignored" not in done.stderr, done.stderr  # nor its complaints about our CSS (all of it is for it)
    today = tmp_path / "today.html"
    plain = [sys.executable, "-m", "yuqing", "briefing", "daily", *args[:4], "--out", str(today)]
    done = subprocess.run(plain, capture_output=True, text=True, env=env, cwd=REPO, timeout=120)
    beijing_today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    assert done.returncode == 0 and f"{beijing_today.year}年{beijing_today.month}月{beijing_today.day}日" in done.stderr
    assert f"{beijing_today.year}年{beijing_today.month}月{beijing_today.day}日" in today.read_text(encoding="utf-8")
    html = tmp_path / "missing.html"
    bad = subprocess.run(
        [sys.executable, "-m", "yuqing", "briefing", "incident", "7", *args[:4], "--out", str(html)],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=120,
    )
    assert bad.returncode == 1 and "事件 7 不存在" in bad.stderr and not html.exists()


CONFIG_ERRORS = [
    ("briefings:\n  send:\n    - {unit: nowhere}\n", "briefings.send[0].unit", "未知的单位 'nowhere'"),
    (
        "briefings:\n  send:\n    - {unit: school-no1, roles: [propaganda]}\n",
        "briefings.send[0].roles[0]",
        "单位 'school-no1'（城关第一中学）没有角色为 'propaganda' 的值班联系人",
    ),
    ("briefings:\n  weekly_on: 8\n", "briefings.weekly_on", "应不大于 7"),
    ("briefings:\n  daily_at: '25:00'\n", "briefings.daily_at", "应为时间"),
    ("briefings:\n  send:\n    - {unit: county, kinds: [monthly]}\n", "briefings.send[0].kinds[0]", "daily"),
]


@pytest.mark.parametrize(("text", "field", "message"), CONFIG_ERRORS)
def test_briefing_config_errors_name_file_and_field(
    example_config_copy: Path, text: str, field: str, message: str
) -> None:
    (example_config_copy / "briefings.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(example_config_copy)
    issue = next(i for i in caught.value.issues if i.field == field)
    assert issue.file.endswith("briefings.yaml") and message in issue.message


def test_briefings_file_is_optional(example_config_copy: Path) -> None:
    (example_config_copy / "briefings.yaml").unlink()
    assert load_config(example_config_copy).briefings.send == []
    (example_config_copy / "briefings.yaml").write_text("", encoding="utf-8")
    assert load_config(example_config_copy).briefings.daily_at.hour == 8
