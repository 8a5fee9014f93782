"""Briefing documents: self-contained Chinese HTML with inline SVG charts, hostile post content shown as text,
and a PDF whose text (read back with pdftotext) has the right Chinese and figures."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from briefings import periods
from briefings.service import Format, incident_document, period_document

World = Any  # the `briefing_world` fixture from conftest.py


class _Tags(HTMLParser):
    """Every tag and attribute the browser would see."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def _tags(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Tags()
    parser.feed(html)
    return parser.tags


def _daily(world: World, fmt: Format, unit: str | None = "county") -> bytes:
    period = periods.daily(world.day)
    doc = period_document(
        world.store,
        world.sessions,
        world.config,
        period=period,
        unit_id=unit,
        now=period.until + timedelta(hours=8),
        fmt=fmt,
    )
    return doc.content


def test_html_is_self_contained_and_escapes_hostile_posts(briefing_world: World) -> None:
    html = _daily(briefing_world, "html").decode("utf-8")
    tags = _tags(html)
    names = [t for t, _ in tags]
    # Nothing runs and nothing is loaded: no script, no external resource, no event handler.
    assert "script" not in names and "img" not in names and "link" not in names and "iframe" not in names
    assert not any(k.startswith("on") for _, attrs in tags for k in attrs)
    links = [v for _, attrs in tags for k, v in attrs.items() if k in {"src", "href"}]
    assert links and all(str(v).startswith("http://board.example/") for v in links)
    # The hostile title is there, as text.
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;城关一中食堂饭菜变质" in html
    assert "<h1>伪造标题</h1>" not in html
    assert names.count("h1") == 1
    # Charts are inline SVG with Chinese labels; CSS is inline.
    assert names.count("svg") >= 4 and "信息走势（按小时，北京时间）" in html and "<style>" in html
    assert "舆情日报" in html and "城关县人民政府（含下属单位）" in html


def test_incident_report_html_escapes_and_shows_the_record(briefing_world: World) -> None:
    world = briefing_world
    doc = incident_document(
        world.store,
        world.sessions,
        world.config,
        incident_id=world.incidents["hostile"],
        now=world_now(world),
        fmt="html",
    )
    html = doc.content.decode("utf-8")
    names = [t for t, _ in _tags(html)]
    assert "script" not in names and "img" not in names and names.count("h1") == 1
    assert "&lt;img src=x onerror=alert(2)&gt;" in html
    assert "舆情专报" in html and "超时未报告" in html and "校园食品安全" in html
    # Notifications are listed without their bodies: those carry signed acknowledgement links.
    assert "一键确认" not in html and "/ack/" not in html

    bullying = incident_document(
        world.store,
        world.sessions,
        world.config,
        incident_id=world.incidents["bullying"],
        now=world_now(world),
        fmt="html",
    ).content.decode("utf-8")
    assert "按时报告" in bullying and "12 分钟" in bullying and "4 分钟" in bullying
    assert "已电话报告&lt;b&gt;宣传部&lt;/b&gt;" in bullying


def world_now(world: World) -> Any:
    return periods.daily(world.day).until + timedelta(hours=8)


def _pdf_text(pdf: bytes, tmp_path: Path, *, layout: bool = True) -> str:
    assert pdf.startswith(b"%PDF-")
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    pdftotext = shutil.which("pdftotext")
    assert pdftotext, "pdftotext (poppler-utils) is needed; .ci/run installs it"
    mode = "-layout" if layout else "-raw"  # -raw: a cell's wrapped lines stay together, in the order drawn
    done = subprocess.run([pdftotext, mode, str(path), "-"], capture_output=True, text=True, check=True)
    return done.stdout


def test_daily_pdf_has_the_chinese_text_and_figures(briefing_world: World, tmp_path: Path) -> None:
    pdf = _daily(briefing_world, "pdf")
    text = _pdf_text(pdf, tmp_path)
    flat = re.sub(r"\s+", "", text)
    assert "舆情日报" in flat and "城关县人民政府" in flat
    assert "本期共监测到涉及城关县人民政府的网络信息8条" in flat
    assert "按时报告" in flat and "超时未报告" in flat
    # The hostile title is printed as text, markup and all.
    # (A title wraps in its column: read the cell's lines together.)
    assert "<script>alert('x')</script>城关一中食堂饭菜变质" in re.sub(
        r"\s+", "", _pdf_text(pdf, tmp_path, layout=False)
    )
    assert "第1页" in flat  # the page footer (CSS paged media)


def test_incident_pdf(briefing_world: World, tmp_path: Path) -> None:
    world = briefing_world
    doc = incident_document(
        world.store,
        world.sessions,
        world.config,
        incident_id=world.incidents["hostile"],
        now=world_now(world),
        fmt="pdf",
    )
    assert doc.media_type == "application/pdf" and doc.filename == f"incident-report-{world.incidents['hostile']}.pdf"
    flat = re.sub(r"\s+", "", _pdf_text(doc.content, tmp_path))
    assert "舆情专报" in flat and "<imgsrc=xonerror=alert(2)>" in flat and "超时未报告" in flat


@pytest.mark.parametrize("unit", [None, "town-chengguan"])
def test_a_briefing_for_a_quiet_scope_still_renders(briefing_world: World, unit: str | None) -> None:
    world = briefing_world
    period = periods.daily(world.day - timedelta(days=5))  # nothing then
    html = period_document(
        world.store, world.sessions, world.config, period=period, unit_id=unit, now=world_now(world), fmt="html"
    ).content.decode("utf-8")
    assert "未监测到涉及" in html and "本期无立案处置的舆情事件" in html


def test_briefings_drop_bidi_overrides_and_invisible_characters() -> None:
    from markupsafe import Markup

    from briefings.render import environment

    page = environment().from_string("<p>{{ title }}</p>{{ chart }}<a href='{{ url }}'>原帖</a>")
    html = page.render(title="试测\u202egnp.exe<b>", chart=Markup("<svg>\u200b</svg>"), url="http://b/\u2066x")
    assert html == "<p>试测gnp.exe&lt;b&gt;</p><svg></svg><a href='http://b/x'>原帖</a>"
