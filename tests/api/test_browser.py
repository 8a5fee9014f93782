"""The dashboard in a real headless Chromium (Debian's chromium + chromium-driver, driven by Selenium): the
real app on a loopback port over real stores, a user signing in through the login form, the live feed, the
countdown, acknowledging and reporting, hostile posts rendered as text, and screenshots of every page on a
desktop and a 375-px phone screen (into $YUQING_SCREENSHOTS, else the test's temporary folder).

Selenium with an explicit chromedriver path: Selenium Manager only runs when no driver path is given, so nothing
is ever downloaded (SE_OFFLINE makes sure)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from alerting.incidents.service import add_note, get_incident
from alerting.playbooks import load_playbooks
from alerting.rules import run_rules
from analysis.analyser import Analyser
from api.app import create_app
from api.state import ApiState
from config import Config
from sources.alerts import SourceAlert
from sources.runs import CrawlRun, record_run
from store.mentions import NewMention
from store.mentions.sqlite import SqliteMentionStore
from store.workflow.db import utcnow
from web.access import service as access
from web.access.roles import Role

pytestmark = pytest.mark.slow

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):  # .ci/run installs both
    pytest.fail(f"the browser tests need {CHROMIUM} and {CHROMEDRIVER} (apt packages chromium, chromium-driver)")

from selenium import webdriver  # noqa: E402
from selenium.common.exceptions import NoAlertPresentException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.remote.webelement import WebElement  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery"
HOSTILE_TITLE = "<script>window.__pwned=1</script><img src=x onerror=alert(1)>城关一中学生被殴打"
HOSTILE_CONTENT = "城关一中初二学生被同学围殴受伤。<img src=x onerror=alert(2)><script>alert(3)</script>"
POSTS = [
    ("1", "城关第一中学学生被殴打住院", "城关一中初二学生被多名同学围殴，头部受伤住院，学校一直不回应。"),
    ("2", "学校乱收费资料费", "城关镇中心小学班主任强制收取资料费。"),
    ("3", HOSTILE_TITLE, HOSTILE_CONTENT),
    ("4", "感谢镇政府修好路灯", "工作人员认真负责，点赞。"),
] + [(str(10 + i), f"县城道路施工第{i}期", f"城关镇道路施工进展第{i}期，居民反映噪音。") for i in range(25)]


@dataclass
class Site:
    url: str
    state: ApiState
    store: SqliteMentionStore
    config: Config
    analyser: Analyser
    shots: Path

    def add_post(self, post_id: str, title: str, content: str) -> int:
        """Store, analyse and run the alert rules, as the scheduler would: returns incidents opened."""
        self.store.upsert_many(
            [
                NewMention(
                    source="demo-baixing",
                    post_id=post_id,
                    url=f"http://board.example/t/{post_id}",
                    title=title,
                    content=content,
                    unit="county",
                )
            ]
        )
        self.store.save_analysis(
            [
                (m.id, self.analyser.analyse(title=m.title, content=m.content, default_unit=m.unit))
                for m in self.store.pending_analysis(100)
            ]
        )
        return run_rules(
            self.store, self.state.sessions, self.config, load_playbooks(), base_url=self.url, now=utcnow()
        )

    def open_by_deadline(self) -> list[int]:
        from alerting.incidents.models import Incident

        with self.state.sessions() as session:
            rows = session.query(Incident).filter(Incident.closed_at.is_(None), Incident.reported_at.is_(None))
            return [i.id for i in rows.order_by(Incident.report_due_at, Incident.id)]

    def incident_id(self, title: str) -> int:
        from alerting.incidents.models import Incident

        with self.state.sessions() as session:
            found = [i.id for i in session.query(Incident).filter(Incident.title == title)]
        assert len(found) == 1, found
        return found[0]


@pytest.fixture(scope="module")
def site(module_app_world: Any, module_serve: Any, tmp_path_factory: pytest.TempPathFactory) -> Site:
    world = module_app_world()  # set up before the server: closed after it stops
    config, store, sessions = world.config, world.store, world.sessions
    state = world.state(base_url="http://127.0.0.1", feed_poll_seconds=0.2)
    with sessions.begin() as session:
        access.create_user(
            session,
            config=config,
            name="wang",
            role=Role.SECRETARY,
            unit="county",
            password=PASSWORD,
            display_name="王书记",
            actor="test",
            now=utcnow(),
        )
        access.create_user(
            session,
            config=config,
            name="zhao",
            role=Role.ANALYST,
            unit=None,
            password=PASSWORD,
            display_name="赵分析",
            actor="test",
            now=utcnow(),
        )
        access.create_user(
            session,
            config=config,
            name="li",
            role=Role.COMMENTATOR,
            unit="school-no1",
            password=PASSWORD,
            display_name="李网评",
            actor="test",
            now=utcnow(),
        )
        for source, ok in (("demo-baixing", True), ("demo-tousu", False)):
            now = utcnow()
            record_run(
                session,
                CrawlRun(
                    source=source,
                    started_at=now - timedelta(seconds=20),
                    finished_at=now,
                    ok=ok,
                    finish_reason="finished" if ok else "连接被拒绝",
                    pages=2 if ok else 0,
                    items=12 if ok else 0,
                    new_items=3 if ok else 0,
                    errors=0 if ok else 4,
                    parse_failures=1 if ok else 0,
                ),
            )
    state.base_url = module_serve(create_app(state))
    shots = Path(os.environ.get("YUQING_SCREENSHOTS") or tmp_path_factory.mktemp("screenshots"))
    shots.mkdir(parents=True, exist_ok=True)
    built = Site(url=state.base_url, state=state, store=store, config=config, analyser=Analyser(config), shots=shots)
    for post_id, title, content in POSTS:
        built.add_post(post_id, title, content)
    return built


@pytest.fixture(scope="module")
def browser(site: Site, chrome: Any) -> webdriver.Chrome:
    driver: webdriver.Chrome = chrome()
    driver.get(f"{site.url}/")
    login(driver, site)
    return driver


def login(driver: webdriver.Chrome, site: Site, name: str = "wang", *, expect: str | None = None) -> None:
    """Sign in through the login form the page was sent to; it leads back to the page asked for."""
    assert "/login" in driver.current_url  # every page is behind login
    driver.find_element(By.NAME, "name").send_keys(name)
    driver.find_element(By.NAME, "password").send_keys(PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    target = expect or f"{site.url}/"
    wait_for(driver, lambda d: d.current_url.startswith(target) and "/login" not in d.current_url)


def wait_for(driver: webdriver.Chrome, condition: Callable[[webdriver.Chrome], Any], timeout: float = 10) -> Any:
    return WebDriverWait(driver, timeout, poll_frequency=0.1).until(condition)


def css(driver: webdriver.Chrome | WebElement, selector: str) -> list[WebElement]:
    return driver.find_elements(By.CSS_SELECTOR, selector)


def text_of(driver: webdriver.Chrome, selector: str) -> str:
    """The text of the first match, read in one step (the board re-renders as the feed arrives)."""
    found = driver.execute_script("const n = document.querySelector(arguments[0]); return n && n.textContent", selector)
    return str(found or "")


def texts_of(driver: webdriver.Chrome, selector: str) -> list[str]:
    found = driver.execute_script(
        "return Array.from(document.querySelectorAll(arguments[0])).map(n => n.textContent)", selector
    )
    return [str(t) for t in found]


def shown(driver: webdriver.Chrome, selector: str) -> WebElement | None:
    found = css(driver, selector)
    return found[0] if found and found[0].is_displayed() else None


def no_dialog(driver: webdriver.Chrome) -> None:
    try:
        text = driver.switch_to.alert.text
    except NoAlertPresentException:
        return
    raise AssertionError(f"a JavaScript dialog opened: {text!r}")


def screenshots(driver: webdriver.Chrome, site: Site, name: str, ready: str, *, scroll: tuple[str, ...] = ()) -> None:
    """The page as it is now on a desktop, then loaded afresh on a 375-px-wide phone (Chromium's device
    emulation), its first screen and the screens at the `scroll` selectors."""
    driver.save_screenshot(str(site.shots / f"{name}-desktop.png"))
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride", {"width": 375, "height": 812, "deviceScaleFactor": 2, "mobile": True}
    )
    try:
        driver.refresh()
        wait_for(driver, lambda d: css(d, ready))
        time.sleep(0.3)  # the page's follow-up requests (names, charts)
        width = driver.execute_script("return document.documentElement.scrollWidth")
        driver.save_screenshot(str(site.shots / f"{name}-phone.png"))
        for i, selector in enumerate(scroll, 1):
            driver.execute_script("document.querySelector(arguments[0]).scrollIntoView()", selector)
            driver.save_screenshot(str(site.shots / f"{name}-phone-{i}.png"))
        assert width <= 375, f"{name}: the page is {width}px wide on a 375px phone (sideways scrolling)"
    finally:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    driver.refresh()
    wait_for(driver, lambda d: css(d, ready))


def test_board_feed_updates_live_and_countdown_ticks(browser: webdriver.Chrome, site: Site) -> None:
    browser.get(f"{site.url}/")
    wait_for(browser, lambda d: css(d, "#incidents .incident"))
    wait_for(browser, lambda d: d.find_element(By.ID, "feed-status").text == "实时")
    titles = texts_of(browser, "#incidents .incident .incident-title")
    assert POSTS[0][1] in titles and HOSTILE_TITLE in titles
    shown_order = browser.execute_script(
        "return Array.from(document.querySelectorAll('#incidents .incident')).map(c => Number(c.dataset.incidentId))"
    )
    assert shown_order == site.open_by_deadline()  # nearest deadline first
    before = text_of(browser, "#incidents .countdown")
    assert before.startswith("距报告时限 ") and "分" in before
    wait_for(browser, lambda d: text_of(d, "#incidents .countdown") not in ("", before), timeout=3)
    # Stage and level badges.
    assert {"重大"} <= set(texts_of(browser, "#incidents .badge.lv-3"))
    assert "研判" in texts_of(browser, "#incidents .badge.stage")

    browser.execute_script("window.__stillHere = true")
    title = "城关一中食堂饭菜变质多名学生呕吐腹泻"
    assert site.add_post("live-1", title, "城关一中食堂饭菜变质，好几个学生吃完呕吐腹泻，学校一直不回应。") == 1
    item = wait_for(
        browser,
        lambda d: next(
            (li for li in css(d, "#feed .feed-item[data-action=opened]") if title in li.text and css(li, "mark")),
            None,
        ),
    )
    marked = {m.text for m in item.find_elements(By.CSS_SELECTOR, ".mention mark")}
    assert {"食堂", "呕吐", "腹泻"} <= marked  # why it was flagged, inside the post's text
    # What happened, once: the facts of the risk line (依据事实：…) with their words, under the scheme's chips.
    facts = [f.text for f in item.find_elements(By.CSS_SELECTOR, ".why.facts")]
    assert len(facts) == 1 and facts[0].startswith("事实：") and "中毒或致病（呕吐" in facts[0], facts
    assert "计分" not in facts[0]
    assert "lv-3" in (item.get_attribute("class") or "")
    wait_for(browser, lambda d: title in texts_of(d, "#incidents .incident-title"))
    assert browser.execute_script("return window.__stillHere") is True  # no reload
    screenshots(browser, site, "board", "#incidents .incident", scroll=("#feed", "#flagged"))


def test_feed_filters_tab_title_and_the_alert_chime(browser: webdriver.Chrome, site: Site) -> None:
    browser.get(f"{site.url}/")
    wait_for(browser, lambda d: css(d, "#incidents .incident"))
    wait_for(browser, lambda d: d.find_element(By.ID, "feed-status").text == "实时")
    unacked = len(browser.find_elements(By.CSS_SELECTOR, "#incidents .badge.unacked"))
    assert unacked and browser.title == f"（{unacked}）未确认 · 舆情监测 · 值班台"
    visible = "return Array.from(document.querySelectorAll('#feed .feed-item')).filter(li => !li.hidden).length"
    everything = browser.execute_script(visible)
    filters = browser.find_element(By.ID, "feed-filters")
    Select(filters.find_element(By.NAME, "kind")).select_by_visible_text("只看通知")
    assert browser.execute_script(visible) == 0 < everything  # no notification rows: nothing left
    assert "已按筛选隐藏" in text_of(browser, "#feed-hidden")
    Select(filters.find_element(By.NAME, "kind")).select_by_visible_text("只看帖子")
    posts = browser.execute_script(visible)
    assert 0 < posts <= everything
    assert all(a in ("opened", "linked", "level", "discovered") for a in texts_of_attr(browser, "action"))
    Select(filters.find_element(By.NAME, "level")).select_by_visible_text("重大及以上")
    assert all(int(level) >= 3 for level in texts_of_attr(browser, "level"))
    browser.refresh()  # the choice is kept in this browser
    wait_for(browser, lambda d: css(d, "#feed .feed-item"))
    kept = Select(browser.find_element(By.CSS_SELECTOR, "#feed-filters select[name=kind]"))
    assert kept.first_selected_option.text == "只看帖子"
    Select(browser.find_element(By.CSS_SELECTOR, "#feed-filters select[name=level]")).select_by_index(0)
    Select(browser.find_element(By.CSS_SELECTOR, "#feed-filters select[name=kind]")).select_by_index(0)
    wait_for(browser, lambda d: d.find_element(By.ID, "feed-status").text == "实时")
    time.sleep(0.6)  # past the backlog burst: what comes now is news

    title = "城关一中宿舍楼学生打架致一人骨折"
    assert site.add_post("chime-1", title, "城关一中宿舍楼内多名学生欺凌同学，一名学生骨折住院。") == 1
    wait_for(browser, lambda d: d.execute_script("return window.yuqingAlerted || 0") == 1)
    toggle = browser.find_element(By.ID, "alerts-toggle")
    assert toggle.text == "提醒：开"
    toggle.click()
    assert toggle.text == "提醒：静音"
    title = "城关一中学生被高年级勒索欺凌"
    assert site.add_post("chime-2", title, "城关一中两名学生在校园内被高年级同学勒索欺凌，受伤住院。") == 1
    wait_for(browser, lambda d: title in d.find_element(By.ID, "feed").text)
    assert browser.execute_script("return window.yuqingAlerted || 0") == 1  # muted: no second chime
    toggle.click()


def texts_of_attr(driver: webdriver.Chrome, name: str) -> list[str]:
    """A data- attribute of every feed row left visible by the filters."""
    found = driver.execute_script(
        "return Array.from(document.querySelectorAll('#feed .feed-item')).filter(li => !li.hidden)"
        ".map(li => li.dataset[arguments[0]])",
        name,
    )
    return [str(v) for v in found]


def test_the_board_fits_three_phone_screens(browser: webdriver.Chrome, site: Site) -> None:
    browser.get(f"{site.url}/")
    wait_for(browser, lambda d: css(d, "#incidents .incident"))
    browser.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride", {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True}
    )
    try:
        browser.refresh()
        wait_for(browser, lambda d: css(d, "#incidents .incident") and css(d, "#feed .feed-item"))
        time.sleep(1)  # the feed's backlog and the posts it attaches
        height = browser.execute_script("return document.documentElement.scrollHeight")
        assert height <= 3 * 844, f"the duty board is {height}px tall on a phone"
        assert not browser.find_element(By.ID, "more-details").get_attribute("open")  # folded on a phone
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def test_briefings_page_builds_the_links(browser: webdriver.Chrome, site: Site) -> None:
    browser.get(f"{site.url}/briefings")
    form = wait_for(browser, lambda d: shown(d, "#briefing-form"))
    wait_for(browser, lambda d: len(css(d, "#briefing-form select[name=unit] option")) > 1)
    today = browser.execute_script("return beijingDate(0)")
    assert f"date={today}" in (browser.find_element(By.ID, "open-html").get_attribute("href") or "")
    assert "（今天，截至此刻）" in text_of(browser, "#period-note")
    # A 周报 is this week's, from its Monday to now, like the 日报 (the quick link leaves the week to the server).
    Select(form.find_element(By.NAME, "kind")).select_by_value("weekly")
    monday = browser.execute_script("return weekStart(0)")
    assert date.fromisoformat(monday).isoweekday() == 1 and monday <= today
    assert f"start={monday}" in (browser.find_element(By.ID, "open-html").get_attribute("href") or "")
    assert "（本周，截至此刻）" in text_of(browser, "#period-note")
    quick = {a.text: a.get_attribute("href") or "" for a in css(browser, "#quick li > a:first-child")}
    assert "start=" not in quick["本周周报（截至此刻）"] and "start=" in quick["上周周报"], quick
    Select(form.find_element(By.NAME, "kind")).select_by_value("analysis")
    Select(form.find_element(By.NAME, "unit")).select_by_visible_text("城关第一中学")
    first = form.find_element(By.NAME, "first")
    browser.execute_script(
        "arguments[0].value = '2026-11-01'; arguments[0].dispatchEvent(new Event('input', {bubbles: true}))", first
    )
    pdf = browser.find_element(By.ID, "open-pdf").get_attribute("href") or ""
    assert "/api/v1/briefings/analysis?" in pdf and "first=2026-11-01" in pdf and "unit=school-no1" in pdf
    assert "format=pdf" in pdf and "城关第一中学" in text_of(browser, "#period-note")
    browser.get(browser.find_element(By.ID, "open-html").get_attribute("href") or "")
    assert "舆情分析研判报告" in browser.page_source or "研判" in browser.title
    browser.get(f"{site.url}/briefings")
    wait_for(browser, lambda d: shown(d, "#briefing-form"))
    assert browser.execute_script("return Intl.DateTimeFormat().resolvedOptions().locale") == "zh-CN"
    assert browser.find_element(By.NAME, "first").get_attribute("type") == "date"  # drawn 2026/12/02 in Chinese
    screenshots(browser, site, "briefings", "#briefing-form select[name=unit] option:nth-child(2)")


def test_a_browser_in_another_language_gets_chinese_date_boxes(browser: webdriver.Chrome, site: Site) -> None:
    """Chromium draws a date box in its own locale ("mm/dd/yyyy" in an English one): there the page makes the
    date and time boxes text boxes reading 2026-12-02 (08:00), and what they send is the same."""
    browser.execute_cdp_cmd("Emulation.setLocaleOverride", {"locale": "en-US"})
    try:
        browser.get(f"{site.url}/briefings")
        form = wait_for(browser, lambda d: shown(d, "#briefing-form"))
        first = form.find_element(By.NAME, "first")
        today = browser.execute_script("return beijingDate(0)")
        assert first.get_attribute("type") == "text" and first.get_attribute("value") == today
        assert first.get_attribute("placeholder") == "如 2026-12-02"
        first.clear()
        first.send_keys("2026年11月1日")
        browser.execute_script("document.activeElement.blur()")  # the change event normalises the text
        assert first.get_attribute("value") == "2026-11-01"
        assert "date=2026-11-01" in (browser.find_element(By.ID, "open-html").get_attribute("href") or "")
        browser.get(f"{site.url}/search?q=学校&since=2026-01-01T08:00")
        since = wait_for(browser, lambda d: shown(d, "input[name=since]"))
        assert since.get_attribute("type") == "text" and since.get_attribute("value") == "2026-01-01 08:00"
    finally:
        browser.execute_cdp_cmd("Emulation.setLocaleOverride", {})


def test_overdue_cases_turn_red_as_the_deadline_passes(browser: webdriver.Chrome, site: Site) -> None:
    browser.get(f"{site.url}/")
    wait_for(browser, lambda d: css(d, "#incidents .incident"))
    assert not css(browser, "#incidents .incident.overdue")
    # The page's clock moves past the deadlines (the countdown runs on the page, from the absolute due time).
    browser.execute_script("const real = Date.now; Date.now = () => real() + 31 * 60 * 1000;")
    late = wait_for(browser, lambda d: css(d, "#incidents .incident.overdue"))
    assert late[0].find_element(By.CSS_SELECTOR, ".countdown.late").text.startswith("已超时 ")
    color = late[0].find_element(By.CSS_SELECTOR, ".countdown").value_of_css_property("color")
    assert color in ("rgba(198, 40, 40, 1)", "rgb(198, 40, 40)")


def test_a_case_that_is_not_there_shows_the_reason_and_no_actions(browser: webdriver.Chrome, site: Site) -> None:
    browser.get(f"{site.url}/incidents/999999")
    wait_for(browser, lambda d: d.find_element(By.ID, "title").text.startswith("加载失败"))
    assert "未找到该事件" in browser.find_element(By.ID, "title").text
    assert not browser.find_element(By.ID, "briefing-html").is_displayed()  # no 专报 of nothing
    assert not browser.find_element(By.ID, "timeline").is_displayed()
    assert browser.find_element(By.LINK_TEXT, "返回值班台").get_attribute("href") == f"{site.url}/"


def test_incident_acknowledge_report_note(browser: webdriver.Chrome, site: Site) -> None:
    incident_id = site.incident_id(POSTS[0][1])
    browser.get(f"{site.url}/incidents/{incident_id}")
    wait_for(browser, lambda d: d.find_element(By.ID, "ack").is_displayed())
    wait_for(browser, lambda d: css(d, "#mentions .mention mark"))
    assert POSTS[0][1] in browser.find_element(By.ID, "head").text
    assert "校园欺凌" in browser.find_element(By.ID, "explain").text
    assert {"殴打", "学生"} <= {m.text for m in css(browser, "#mentions mark")}
    before = text_of(browser, "#head .countdown")
    wait_for(browser, lambda d: text_of(d, "#head .countdown") not in ("", before), timeout=3)
    screenshots(browser, site, "incident", "#mentions .mention", scroll=("#report-form", "#mentions", "#timeline"))

    # A colleague's note, written elsewhere, reaches the open page through the live feed.
    browser.execute_script("window.__stillHere = true")
    with site.state.sessions.begin() as session:
        add_note(session, incident_id=incident_id, text="网评员已在原帖下公开回应", actor="李网评", now=utcnow())
    wait_for(browser, lambda d: "网评员已在原帖下公开回应" in d.find_element(By.ID, "timeline").text, timeout=5)
    assert browser.execute_script("return window.__stillHere") is True

    browser.find_element(By.ID, "ack").click()
    wait_for(browser, lambda d: d.find_element(By.ID, "status").text == "已确认收到")
    assert not browser.find_element(By.ID, "ack").is_displayed()
    assert "已确认收到" in browser.find_element(By.ID, "timeline").text

    form = browser.find_element(By.ID, "report-form")
    reported_to = form.find_element(By.NAME, "reported_to")
    reported_to.clear()
    reported_to.send_keys("县委宣传部")
    Select(form.find_element(By.NAME, "channel")).select_by_visible_text("短信")
    form.find_element(By.NAME, "summary").send_keys("已短信报告县委宣传部，学校正在核实。")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait_for(browser, lambda d: d.find_element(By.ID, "status").text.startswith("报告已记录"))
    assert browser.find_element(By.CSS_SELECTOR, "#head .countdown").text.startswith("已报告")
    assert not browser.find_element(By.ID, "report-form").is_displayed()

    note = browser.find_element(By.ID, "note-form")
    note.find_element(By.NAME, "text").send_keys("已联系学校核实")
    note.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait_for(browser, lambda d: "备注：已联系学校核实" in d.find_element(By.ID, "timeline").text)

    with site.state.sessions() as session:
        incident = get_incident(session, incident_id=incident_id)
        assert incident is not None
        assert incident.acknowledged_at is not None and incident.reported_at is not None
        assert incident.stage == "handle"
        actions = [t.action for t in incident.timeline]
        reported = next(t for t in incident.timeline if t.action == "reported")
    assert actions[-5:] == ["note", "acknowledged", "reported", "task", "note"], actions  # the report ticks its task
    assert "县委宣传部" in reported.detail and "短信" in reported.detail and reported.actor == "王书记（wang）"


def test_hostile_post_is_shown_as_text(browser: webdriver.Chrome, site: Site) -> None:
    incident_id = site.incident_id(HOSTILE_TITLE)
    pages = {
        "board": (f"{site.url}/", "#incidents .incident"),
        "hostile-incident": (f"{site.url}/incidents/{incident_id}", "#mentions .mention"),
        "hostile-search": (f"{site.url}/search?q=围殴", "#results .mention"),
    }
    for name, (url, ready) in pages.items():
        browser.get(url)
        wait_for(browser, partial(css, selector=ready))
        wait_for(browser, lambda d: HOSTILE_TITLE in d.find_element(By.TAG_NAME, "main").text)
        main = browser.find_element(By.TAG_NAME, "main")
        assert "<img src=x onerror=alert(1)>" in main.text  # visible, as text
        assert not main.find_elements(By.TAG_NAME, "img")
        assert not main.find_elements(By.TAG_NAME, "script")
        scripts = browser.execute_script("return Array.from(document.scripts).map(s => s.getAttribute('src'))")
        assert all(src and src.startswith("/static/") for src in scripts), scripts
        assert browser.execute_script("return window.__pwned") is None
        no_dialog(browser)
        if name != "board":
            screenshots(browser, site, name, ready)


def test_text_is_shown_without_bidi_overrides_or_invisible_characters(browser: webdriver.Chrome, site: Site) -> None:
    """What the dashboard's helpers put on the page ("试测\u202egnp.exe" would read "试测exe.png")."""
    browser.get(f"{site.url}/")
    wait_for(browser, lambda d: css(d, "#incidents .incident"))
    shown = browser.execute_script(
        "return [el('b', null, '试测\\u202egnp.exe').textContent,"
        " highlighted('城\\u200b关\\u2066一中', [[0, 2]], 'x').textContent,"
        " highlighted('城\\u200b关\\u2066一中', [[0, 2]], 'x').querySelector('mark').textContent]"
    )
    assert shown == ["试测gnp.exe", "城关一中", "城"]


def test_pages_left_behind_give_back_their_live_stream(browser: webdriver.Chrome, site: Site) -> None:
    """A browser has six connections to the server for all its pages, and pages left are kept in its
    back/forward cache: when each kept its live feed open, the seventh page never loaded."""
    incident_id = site.incident_id(POSTS[0][1])
    for _ in range(4):
        browser.get(f"{site.url}/")
        wait_for(browser, lambda d: css(d, "#incidents .incident"))
        browser.get(f"{site.url}/incidents/{incident_id}")
        wait_for(browser, lambda d: css(d, "#mentions .mention"))
    browser.get(f"{site.url}/search")
    wait_for(browser, lambda d: css(d, "#results .mention"))
    browser.back()  # back from the cache: the case page opens its stream again and shows the case
    wait_for(browser, lambda d: css(d, "#mentions .mention"))


def test_search_highlights_paging_charts_and_syntax_errors(browser: webdriver.Chrome, site: Site) -> None:
    browser.get(f"{site.url}/search")
    wait_for(browser, lambda d: css(d, "#results .mention"))
    wait_for(browser, lambda d: css(d, "#charts svg.volume rect.bar"))
    total = browser.find_element(By.ID, "total").text
    stored = site.store.count()  # every post the module's tests added so far
    assert total == f"共 {stored} 条", total
    assert len(css(browser, "#results .mention")) == 20
    browser.find_element(By.ID, "more").click()
    wait_for(browser, lambda d: len(css(d, "#results .mention")) == stored)
    assert not browser.find_element(By.ID, "more").is_displayed()
    assert css(browser, "#charts svg.sentiment rect") and css(browser, "#charts svg.top rect.bar")
    assert "百姓呼声（示例）" in browser.find_element(By.ID, "charts").text  # sources by name
    # A long name is broken onto two lines in the chart, never cut (it read 投诉直通车（示例，G… before).
    drawn = browser.execute_script(
        "const f = topChart('来源排行', [{key: 'demo-tousu', count: 3}, {key: 'demo-baixing', count: 1}],"
        " {'demo-tousu': '投诉直通车（示例，GBK 编码）', 'demo-baixing': '百姓呼声（示例）'});"
        "return Array.from(f.querySelectorAll('text.label')).map(t => Array.from(t.querySelectorAll('tspan'))"
        ".map(s => s.textContent));"
    )
    assert drawn == [["投诉直通车", "（示例，GBK 编码）"], ["百姓呼声（示例）"]], drawn
    # Analysts may export; a secretary may not, so the links are not offered to this user.
    assert not browser.find_element(By.ID, "exports").is_displayed()

    query = browser.find_element(By.ID, "q")
    query.send_keys("殴打")
    query.submit()
    wait_for(browser, lambda d: d.find_element(By.ID, "total").text == "共 2 条")
    assert {m.text for m in css(browser, "#results mark")} == {"殴打"}
    Select(browser.find_element(By.NAME, "sentiment")).select_by_value("positive")
    wait_for(browser, lambda d: d.find_element(By.ID, "total").text == "共 0 条")
    assert "sentiment=positive" in browser.current_url
    Select(browser.find_element(By.NAME, "sentiment")).select_by_value("")
    wait_for(browser, lambda d: d.find_element(By.ID, "total").text == "共 2 条")
    screenshots(browser, site, "search", "#results .mention", scroll=("#charts",))

    query = browser.find_element(By.ID, "q")
    query.clear()
    query.send_keys('学生 "围殴')
    query.submit()
    error = wait_for(browser, lambda d: shown(d, "#query-error"))
    assert "查询语法错误" in error.text and "第 4 个字符" in error.text, error.text
    assert error.find_element(By.CSS_SELECTOR, "mark.error-at").text == '"'
    screenshots(browser, site, "search-error", "#results")


def test_sources_page(browser: webdriver.Chrome, site: Site) -> None:
    with site.state.sessions.begin() as session:  # an operations alert, as the scheduler's check opens one
        session.add(
            SourceAlert(
                source="demo-tousu",
                kind="failing",
                opened_at=utcnow(),
                detail="连续 3 次抓取失败，最近一次：连接被拒绝",
            )
        )
    browser.get(f"{site.url}/sources")
    cards = wait_for(browser, lambda d: css(d, ".source-card"))
    by_id = {c.get_attribute("data-source"): c for c in cards}
    assert set(by_id) == {"demo-baixing", "demo-tousu"}
    bad = by_id["demo-tousu"]
    assert "bad" in (bad.get_attribute("class") or "") and "异常" in bad.text
    assert "连接被拒绝" in bad.text and "连续失败\n1" in bad.text
    good = by_id["demo-baixing"]
    assert "正常" in good.text and "12（新 3）" in good.text
    assert "抓取连续失败" in bad.text and "连续 3 次抓取失败" in bad.text  # the open operations alert
    assert "7.7%" in good.text  # the last run's parse-failure rate
    assert cards[0].get_attribute("data-source") == "demo-tousu"  # trouble first
    screenshots(browser, site, "sources", ".source-card")


def test_assign_and_close(browser: webdriver.Chrome, site: Site) -> None:
    title = "城关一中学生在校园被勒索殴打"
    assert site.add_post("close-1", title, "城关一中两名学生在校园内被高年级同学勒索并殴打。") == 1
    incident_id = site.incident_id(title)
    browser.get(f"{site.url}/incidents/{incident_id}")
    form = wait_for(browser, lambda d: shown(d, "#assign-form"))
    # People are picked by name, role and unit from a list; login names are never shown.
    wait_for(browser, lambda d: len(css(d, "#assign-form select[name=user] option")) > 1)
    offered = texts_of(browser, "#assign-form select[name=user] option")
    assert offered[0] == "（不指派）" and "王书记（书记 · 城关县人民政府）" in offered, offered
    assert not any(login in " ".join(offered) for login in ("wang", "zhao", "li（")), offered
    assert not any(o.startswith("赵分析") for o in offered)  # an analyst cannot work on cases
    Select(form.find_element(By.NAME, "user")).select_by_visible_text("王书记（书记 · 城关县人民政府）")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait_for(browser, lambda d: d.find_element(By.ID, "status").text == "指派已记录")
    assert "指派给 王书记" in browser.find_element(By.ID, "timeline").text
    assert "负责人\n王书记" in browser.find_element(By.CSS_SELECTOR, "#head .facts").text
    browser.find_element(By.ID, "advance").click()
    wait_for(browser, lambda d: d.find_element(By.ID, "status").text == "已进入下一阶段")
    assert text_of(browser, "#head .badge.stage") == "报送"
    close = browser.find_element(By.ID, "close-form")
    close.find_element(By.NAME, "summary").send_keys("经核实已退还资料费")
    # 重大, not reported: the reason is asked for, and the confirmation box must be ticked.
    assert close.find_element(By.ID, "no-report").is_displayed()
    close.find_element(By.NAME, "no_report_reason").send_keys("经宣传部同意，由教育局统一报送")
    close.find_element(By.NAME, "confirm").click()
    close.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait_for(browser, lambda d: d.find_element(By.ID, "status").text == "已结案")
    assert "未报告宣传部即结案，原因：经宣传部同意" in browser.find_element(By.ID, "timeline").text
    assert "结案" in browser.find_element(By.CSS_SELECTOR, "#head .badge.stage").text
    assert not browser.find_element(By.ID, "close-form").is_displayed()
    browser.get(f"{site.url}/")
    wait_for(browser, lambda d: css(d, "#incidents .incident"))
    assert title not in browser.find_element(By.ID, "incidents").text  # the board lists open cases


def test_analyst_exports_after_logout_and_login(browser: webdriver.Chrome, site: Site) -> None:
    browser.get(f"{site.url}/search?q=殴打")
    wait_for(browser, lambda d: css(d, "header .logout button"))
    browser.find_element(By.CSS_SELECTOR, "header .logout button").click()
    wait_for(browser, lambda d: "/login" in d.current_url)
    browser.get(f"{site.url}/search?q=殴打")
    login(browser, site, "zhao", expect=f"{site.url}/search?q=%E6%AE%B4%E6%89%93")  # back where it was
    link = wait_for(browser, lambda d: shown(d, "#exports #export-csv"))
    href = link.get_attribute("href") or ""
    assert "/api/v1/mentions/export?" in href and "format=csv" in href
    # The link works with the session: the page fetches it as a download would.
    got = browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "fetch(arguments[0]).then(async r => done([r.status, r.headers.get('content-type'), await r.text()]));",
        href,
    )
    assert got[0] == 200 and got[1].startswith("text/csv")
    assert POSTS[0][1] in got[2] and HOSTILE_TITLE.replace('"', '""') in got[2]
    xlsx = browser.find_element(By.ID, "export-xlsx").get_attribute("href") or ""
    assert "format=xlsx" in xlsx


def test_commentator_sees_only_their_actions(browser: webdriver.Chrome, site: Site) -> None:
    title = "城关一中学生宿舍遭高年级同学勒索"
    assert site.add_post("role-1", title, "城关一中初一学生在宿舍被高年级同学勒索钱财并殴打。") == 1
    incident_id = site.incident_id(title)
    browser.get(f"{site.url}/")
    wait_for(browser, lambda d: css(d, "header .logout button"))
    browser.find_element(By.CSS_SELECTOR, "header .logout button").click()
    wait_for(browser, lambda d: "/login" in d.current_url)
    browser.get(f"{site.url}/incidents/{incident_id}")
    login(browser, site, "li", expect=f"{site.url}/incidents/{incident_id}")
    wait_for(browser, lambda d: shown(d, "#ack"))
    assert shown(browser, "#note-form") is not None
    for hidden in ("#report-form", "#advance", "#assign-form", "#close-form"):
        assert shown(browser, hidden) is None, hidden
    assert "李网评（网评员·城关第一中学）" in browser.find_element(By.CSS_SELECTOR, "header .who").text


def test_screenshots_written(site: Site) -> None:
    names = sorted(p.name for p in site.shots.glob("*.png"))
    for page in ("board", "incident", "search", "sources"):
        assert f"{page}-desktop.png" in names and f"{page}-phone.png" in names, names


def as_wang(driver: webdriver.Chrome, site: Site, path: str) -> None:
    """Open `path` signed in as the county's secretary (an earlier test may have signed in someone else)."""
    driver.get(f"{site.url}/")
    wait_for(driver, lambda d: css(d, "header .who"))
    if "王书记" not in driver.find_element(By.CSS_SELECTOR, "header .who").text:
        driver.find_element(By.CSS_SELECTOR, "header .logout button").click()
        wait_for(driver, lambda d: "/login" in d.current_url)
        login(driver, site)
    driver.get(f"{site.url}{path}")


def test_search_filters_by_post_type_and_rows_show_it(browser: webdriver.Chrome, site: Site) -> None:
    from analysis.grader import TYPES

    as_wang(browser, site, "/search")
    wait_for(browser, lambda d: css(d, "#results .mention"))
    badges = texts_of(browser, "#results .mention .badge.post-type")
    assert badges and set(badges) <= set(TYPES)  # every analysed post shows its type, in Chinese
    Select(browser.find_element(By.NAME, "post_type")).select_by_visible_text("表扬")
    wait_for(browser, lambda d: "post_type=" in d.current_url and d.find_element(By.ID, "total").text == "共 1 条")
    assert texts_of(browser, "#results .mention-title") == [POSTS[3][1]]  # the thanks for the street lamps
    assert texts_of(browser, "#results .mention .badge.post-type") == ["表扬"]
    wait_for(browser, lambda d: "帖子类型" in d.find_element(By.ID, "charts").text)
    browser.get(f"{site.url}/")
    wait_for(browser, lambda d: css(d, "#flagged .mention"))
    assert set(texts_of(browser, "#flagged .mention .badge.post-type")) <= set(TYPES)
    assert texts_of(browser, "#flagged .mention .badge.post-type")


def test_a_phone_shows_the_nearest_cases_and_how_many_there_are(browser: webdriver.Chrome, site: Site) -> None:
    places = ["城关一中", "城关二中", "城关镇中心小学", "城关第三小学", "县实验中学", "县职业中学", "城关幼儿园"]
    for i, place in enumerate(places):
        title = f"{place}学生被同学殴打受伤住院（{i}）"
        site.add_post(f"many-{i}", title, f"{place}一名学生被多名同学殴打，头部受伤住院，家长要求学校处理。")
    open_cases = len(site.open_by_deadline())
    as_wang(browser, site, "/")
    wait_for(browser, lambda d: len(css(d, "#incidents .incident")) >= open_cases)
    total = len(css(browser, "#incidents .incident"))
    assert total > 5
    count = wait_for(browser, lambda d: shown(d, "#incidents-count"))
    assert count.text.startswith(f"共 {total} 件待处置")
    assert shown(browser, "#incidents-all") is None  # a desktop shows every case
    browser.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride", {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True}
    )
    try:
        browser.refresh()
        wait_for(browser, lambda d: len(css(d, "#incidents .incident")) == total and css(d, "#feed .feed-item"))
        time.sleep(1)  # the feed's backlog and the posts it attaches
        visible = [c for c in css(browser, "#incidents .incident") if c.is_displayed()]
        assert len(visible) == 5
        order = [int(c.get_attribute("data-incident-id") or 0) for c in css(browser, "#incidents .incident")]
        assert [int(c.get_attribute("data-incident-id") or 0) for c in visible] == order[:5]  # the nearest first
        text = browser.find_element(By.ID, "incidents-count").text
        assert f"共 {total} 件待处置" in text and "显示时限最近的 5 件" in text, text
        height = browser.execute_script("return document.documentElement.scrollHeight")
        assert height <= 3 * 844, f"the duty board is {height}px tall on a phone with {total} open cases"
        browser.save_screenshot(str(site.shots / "board-many-phone.png"))
        button = browser.find_element(By.ID, "incidents-all")
        assert button.is_displayed() and button.text == f"显示全部 {total} 件"
        button.click()
        wait_for(browser, lambda d: len([c for c in css(d, "#incidents .incident") if c.is_displayed()]) == total)
        assert "显示时限最近" not in browser.find_element(By.ID, "incidents-count").text
        browser.find_element(By.ID, "incidents-all").click()
        wait_for(browser, lambda d: len([c for c in css(d, "#incidents .incident") if c.is_displayed()]) == 5)
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
