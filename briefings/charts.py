"""Charts as inline SVG, drawn here in Python: no JavaScript, no CDN, the same picture in a browser and in the
PDF. Every label is escaped; only numbers computed here become coordinates."""

from __future__ import annotations

from html import escape

from markupsafe import Markup

from briefings.figures import TrendPoint

FONT = "'Noto Sans CJK SC','Source Han Sans SC','WenQuanYi Zen Hei','Microsoft YaHei','PingFang SC',sans-serif"
TOTAL = "#8fb3d9"
NEGATIVE = "#c0392b"
SENTIMENT_COLOURS = {"negative": "#c0392b", "neutral": "#95a5a6", "positive": "#27ae60"}
BAR = "#2e6da4"


def _text(x: float, y: float, text: str, *, size: int = 11, anchor: str = "start", fill: str = "#333") -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" fill="{fill}"'
        f' font-family="{FONT}">{escape(text)}</text>'
    )


def _nice_max(value: int) -> int:
    """A round axis maximum at or above `value`: 1, 2, 5 × 10^n."""
    if value <= 5:
        return 5
    magnitude = 10 ** (len(str(value)) - 1)
    for step in (1, 2, 5, 10):
        if step * magnitude >= value:
            return step * magnitude
    return 10 * magnitude


def trend_chart(points: list[TrendPoint], *, title: str) -> Markup:
    """Bars of all mentions per slot with the negative share drawn inside each bar."""
    width, height = 700, 240
    left, right, top, bottom = 46, 12, 30, 44
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = _nice_max(max((p.total for p in points), default=0))
    slot = plot_w / max(len(points), 1)
    bar = max(slot * 0.7, 1.0)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{width}" height="{height}"'
        f' viewBox="0 0 {width} {height}" role="img">',
        f"<title>{escape(title)}</title>",
        _text(left, 18, title, size=13, fill="#222"),
    ]
    for i in range(5):
        value = peak * i / 4
        y = top + plot_h - plot_h * i / 4
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="#e3e3e3"/>')
        parts.append(_text(left - 6, y + 4, f"{value:g}", size=10, anchor="end", fill="#777"))
    every = max(1, round(len(points) / 14))  # at most ~14 labels on the axis
    for i, point in enumerate(points):
        x = left + i * slot + (slot - bar) / 2
        h_total = plot_h * point.total / peak
        h_negative = plot_h * point.negative / peak
        base = top + plot_h
        if point.total:
            parts.append(
                f'<rect x="{x:.1f}" y="{base - h_total:.1f}" width="{bar:.1f}" height="{h_total:.1f}" fill="{TOTAL}">'
                f"<title>{escape(point.label)}：{point.total} 条，负面 {point.negative} 条</title></rect>"
            )
        if point.negative:
            parts.append(
                f'<rect x="{x:.1f}" y="{base - h_negative:.1f}" width="{bar:.1f}" height="{h_negative:.1f}"'
                f' fill="{NEGATIVE}"/>'
            )
        if i % every == 0:
            parts.append(_text(x + bar / 2, base + 14, point.label, size=10, anchor="middle", fill="#555"))
    legend_y = height - 10
    parts.append(f'<rect x="{left}" y="{legend_y - 9}" width="10" height="10" fill="{TOTAL}"/>')
    parts.append(_text(left + 14, legend_y, "信息总量", size=10))
    parts.append(f'<rect x="{left + 80}" y="{legend_y - 9}" width="10" height="10" fill="{NEGATIVE}"/>')
    parts.append(_text(left + 94, legend_y, "其中负面", size=10))
    parts.append("</svg>")
    return Markup("".join(parts))


def sentiment_chart(counts: dict[str, int], labels: dict[str, str]) -> Markup:
    """One bar split by sentiment, with counts and shares in the legend."""
    width, height = 700, 70
    total = sum(counts.values())
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{width}" height="{height}"'
        f' viewBox="0 0 {width} {height}" role="img"><title>情感分布</title>'
    ]
    x = 0.0
    legend_x = 0.0
    for key in ("negative", "neutral", "positive"):
        n = counts.get(key, 0)
        share = n / total if total else 0.0
        w = 700 * share
        if w > 0:
            parts.append(f'<rect x="{x:.1f}" y="4" width="{w:.1f}" height="26" fill="{SENTIMENT_COLOURS[key]}"/>')
        x += w
        parts.append(f'<rect x="{legend_x:.1f}" y="44" width="10" height="10" fill="{SENTIMENT_COLOURS[key]}"/>')
        parts.append(_text(legend_x + 14, 54, f"{labels[key]} {n} 条（{share * 100:.1f}%）", size=11))
        legend_x += 200
    if not total:
        parts.append('<rect x="0" y="4" width="700" height="26" fill="#eee"/>')
        parts.append(_text(350, 22, "暂无已分析的信息", size=11, anchor="middle", fill="#777"))
    parts.append("</svg>")
    return Markup("".join(parts))


def bar_list(rows: list[tuple[str, int]], *, title: str, colour: str = BAR) -> Markup:
    """Horizontal bars, one row per label, longest first as given."""
    width = 700
    row_h = 22
    label_w = 200
    height = 26 + row_h * max(len(rows), 1)
    peak = max((n for _, n in rows), default=0) or 1
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{width}" height="{height}"'
        f' viewBox="0 0 {width} {height}" role="img"><title>{escape(title)}</title>',
        _text(0, 14, title, size=13, fill="#222"),
    ]
    if not rows:
        parts.append(_text(0, 40, "暂无", size=11, fill="#777"))
    for i, (label, n) in enumerate(rows):
        y = 24 + i * row_h
        shown = label if len(label) <= 16 else label[:15] + "…"
        parts.append(_text(label_w - 8, y + 14, shown, size=11, anchor="end"))
        w = (width - label_w - 60) * n / peak
        parts.append(f'<rect x="{label_w}" y="{y + 3}" width="{max(w, 1):.1f}" height="{row_h - 8}" fill="{colour}"/>')
        parts.append(_text(label_w + w + 6, y + 14, str(n), size=11, fill="#555"))
    parts.append("</svg>")
    return Markup("".join(parts))
