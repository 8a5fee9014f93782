"""Briefings as self-contained Chinese HTML (inline CSS, inline SVG charts, no script) and as PDF.

Jinja2 escapes every value (autoescape): a post's `<script>` or markup shows as text. Links are kept only
for http(s) addresses."""

from __future__ import annotations

import functools
from datetime import datetime

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from briefings.charts import bar_list, sentiment_chart, trend_chart
from briefings.figures import SENTIMENT_ZH, PeriodFigures
from briefings.incident_report import IncidentFigures
from briefings.periods import KIND_ZH
from config import Level
from config.models import BEIJING
from store.display import shown


def _beijing(at: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return "—" if at is None else at.astimezone(BEIJING).strftime(fmt)


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _minutes(value: float | None) -> str:
    return "—" if value is None else f"{value:g} 分钟"


def _safe_url(url: str | None) -> str | None:
    return url if url and url.lower().startswith(("http://", "https://")) else None


def _level(value: int | None) -> str:
    return Level(value).zh if value else "—"


def _finalize(value: object) -> object:
    """Every value a template prints, shown without bidi overrides or invisible characters (store/display.py)."""
    if isinstance(value, Markup):  # a chart's SVG: still markup after the cleaning, not to be escaped
        return Markup(shown(str(value)))
    return shown(value) if isinstance(value, str) else value


@functools.cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("briefings", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        finalize=_finalize,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(bj=_beijing, pct=_percent, minutes=_minutes, safe_url=_safe_url, level=_level)
    env.globals.update(sentiment_zh=SENTIMENT_ZH)
    return env


def period_html(figures: PeriodFigures) -> str:
    kind = KIND_ZH[figures.period.kind]
    unit = "按小时" if figures.period.days == 1 else "按日" if figures.period.days <= 62 else "按周"
    charts = {
        "trend": trend_chart(figures.trend, title=f"信息走势（{unit}，北京时间）"),
        "sentiment": sentiment_chart(figures.sentiment, SENTIMENT_ZH),
        "sources": bar_list([(b.key, b.count) for b in figures.sources], title="主要来源"),
        "schemes": bar_list([(b.key, b.count) for b in figures.schemes], title="监测方案命中", colour="#8e44ad"),
        "units": bar_list([(b.key, b.count) for b in figures.units[:15]], title="涉及单位", colour="#16a085"),
    }
    return environment().get_template("period.html").render(f=figures, kind=kind, charts=charts)


def incident_html(figures: IncidentFigures) -> str:
    return environment().get_template("incident.html").render(f=figures, i=figures.incident)
