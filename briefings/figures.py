"""The figures of a briefing for a period and a unit (with every unit below it), read from the mention store
and the workflow store: volume and its trend, sentiment, levels, sources, schemes, top events, key posts,
incidents with their report times, the compliance table per unit, and findings stated from those figures."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from alerting.incidents.models import Incident, Stage
from alerting.supervision import UnitRecord, in_time_share, report_in_time, supervision
from analysis.events.models import Event, EventMember
from briefings.periods import Period
from config import Config, Level
from config.models import BEIJING
from store.mentions import Bucket, DateHistogram, Mention, MentionSearch, SearchQuery, Terms

SENTIMENT_ZH = {"negative": "负面", "neutral": "中性", "positive": "正面"}
_EVENT_CANDIDATES = 200
_UNITS_LISTED = 50


@dataclass(frozen=True)
class Scope:
    """A unit and the units below it (属地管理), or the whole organisation (`unit_id` None: no filter)."""

    unit_id: str | None
    name: str
    unit_ids: tuple[str, ...]

    def covers(self, unit_id: str | None) -> bool:
        return self.unit_id is None or unit_id in self.unit_ids


def scope_of(config: Config, unit_id: str | None) -> Scope:
    """KeyError for a unit not in the configuration."""
    if unit_id is None:
        return Scope(None, "全部单位", ())
    unit = config.unit(unit_id)
    children: dict[str | None, list[str]] = {}
    for u in config.units:
        children.setdefault(u.parent, []).append(u.id)
    found = [unit.id]
    for current in found:  # grows while walked: breadth-first over the tree, each unit once
        found.extend(c for c in children.get(current, []) if c not in found)
    return Scope(unit.id, unit.name, tuple(found))


def unit_names(config: Config) -> dict[str, str]:
    return {u.id: u.name for u in config.units}


@dataclass(frozen=True)
class TrendPoint:
    label: str
    total: int
    negative: int


@dataclass(frozen=True)
class EventRow:
    id: str
    title: str
    first_seen_at: datetime
    copies: int  # in the period and the scope
    total_copies: int
    sources: int
    replies: int
    views: int
    incident_id: int | None


@dataclass(frozen=True)
class IncidentRow:
    id: int
    title: str
    unit: str
    level: str
    stage: str
    discovered_at: datetime
    report_due_at: datetime
    minutes_to_acknowledge: float | None
    minutes_to_report: float | None
    compliance: str  # 按时报告 / 超时报告 / 超时未报告 / 未到时限
    in_time: bool | None  # None while the window is still open and nothing was reported


@dataclass(frozen=True)
class ComplianceRow:
    unit: str
    record: UnitRecord


@dataclass
class PeriodFigures:
    period: Period
    scope: Scope
    generated_at: datetime
    total: int
    previous_total: int
    sentiment: dict[str, int]  # label -> count, analysed mentions only
    levels: dict[int, int]  # level -> count, flagged mentions only
    trend: list[TrendPoint]
    sources: list[Bucket]
    schemes: list[Bucket]  # keys are scheme names
    units: list[Bucket]  # keys are unit names
    events: list[EventRow]
    key_posts: list[Mention]
    incidents: list[IncidentRow]
    compliance: list[ComplianceRow]
    previous_negative_share: float | None = None
    unit_names: dict[str, str] = field(default_factory=dict)
    source_names: dict[str, str] = field(default_factory=dict)
    findings: list[str] = field(default_factory=list)

    @property
    def analysed(self) -> int:
        return sum(self.sentiment.values())

    @property
    def negative(self) -> int:
        return self.sentiment.get("negative", 0)

    @property
    def negative_share(self) -> float | None:
        return self.negative / self.analysed if self.analysed else None

    @property
    def flagged_large(self) -> int:
        """Mentions at 较大 or above."""
        return sum(n for level, n in self.levels.items() if level >= Level.LARGE)

    @property
    def change(self) -> float | None:
        """Change of volume against the previous period of the same length, as a fraction."""
        return (self.total - self.previous_total) / self.previous_total if self.previous_total else None

    @property
    def reported_in_time(self) -> int:
        return sum(1 for row in self.incidents if row.in_time)

    @property
    def reported_late_or_missed(self) -> int:
        return sum(1 for row in self.incidents if row.in_time is False)

    @property
    def in_time_share(self) -> float | None:
        return in_time_share(row.in_time for row in self.incidents)


def _query(
    scope: Scope,
    since: datetime,
    until: datetime,
    *,
    size: int = 1,
    aggs: tuple[DateHistogram | Terms, ...] = (),
    sentiment_labels: tuple[str, ...] = (),
    min_level: int | None = None,
) -> SearchQuery:
    return SearchQuery(
        since=since,
        until=until,
        units=scope.unit_ids,
        size=size,
        aggs=aggs,
        sentiment_labels=sentiment_labels,
        min_level=min_level,
    )


def period_figures(
    store: MentionSearch,
    sessions: sessionmaker[Session],
    config: Config,
    *,
    period: Period,
    scope: Scope,
    now: datetime,
    top: int = 10,
) -> PeriodFigures:
    since, until = period.since, period.until
    # Hourly buckets: Beijing is UTC+8 all year, so UTC hours are Beijing hours and sum into Beijing days.
    main = store.search(
        _query(
            scope,
            since,
            until,
            aggs=(
                DateHistogram("hours", "discovered_at", "hour"),
                Terms("sources", "source", top),
                Terms("sentiment", "sentiment_label", 3),
                Terms("schemes", "schemes", top),
                Terms("levels", "level", 10),
                Terms("units", "unit", _UNITS_LISTED),
            ),
        )
    )
    negative = store.search(
        _query(
            scope,
            since,
            until,
            sentiment_labels=("negative",),
            aggs=(DateHistogram("hours", "discovered_at", "hour"),),
        )
    )
    before = period.previous()
    previous = store.search(_query(scope, before.since, before.until, aggs=(Terms("sentiment", "sentiment_label", 3),)))
    key_posts = store.search(_query(scope, since, until, size=top, min_level=int(Level.LARGE))).hits
    names = unit_names(config)
    scheme_names = {s.id: s.name for s in config.schemes}
    names_of_sources = {s.id: s.name for s in config.sources}
    sentiment = {b.key: b.count for b in main.aggregations["sentiment"]}
    previous_sentiment = {b.key: b.count for b in previous.aggregations["sentiment"]}
    previous_analysed = sum(previous_sentiment.values())
    with sessions() as session:
        incidents = _incidents(session, config, scope, since, until, now)
        compliance = [
            ComplianceRow(names.get(r.unit or "", r.unit or "未归属单位"), r)
            for r in supervision(session, since=since, until=until, now=now)
            if scope.covers(r.unit)
        ]
        events = _events(session, store, scope, since, until, top)
    figures = PeriodFigures(
        period=period,
        scope=scope,
        generated_at=now,
        total=main.total,
        previous_total=previous.total,
        sentiment=sentiment,
        levels={int(b.key): b.count for b in main.aggregations["levels"] if int(b.key) > 0},
        trend=_trend(period, main.aggregations["hours"], negative.aggregations["hours"]),
        sources=[Bucket(names_of_sources.get(b.key, "已停用的信源"), b.count) for b in main.aggregations["sources"]],
        schemes=[Bucket(scheme_names.get(b.key, b.key), b.count) for b in main.aggregations["schemes"]],
        units=[Bucket(names.get(b.key, b.key), b.count) for b in main.aggregations["units"]],
        events=events,
        key_posts=key_posts,
        incidents=incidents,
        compliance=compliance,
        previous_negative_share=(
            previous_sentiment.get("negative", 0) / previous_analysed if previous_analysed else None
        ),
        unit_names=names,
        source_names=names_of_sources,
    )
    figures.findings = findings(figures)
    return figures


def _trend(period: Period, hours: list[Bucket], negative_hours: list[Bucket]) -> list[TrendPoint]:
    """Per Beijing hour for a day, per Beijing day up to two months, else per week (from the first day)."""

    def slot(key: str) -> int:
        local = datetime.fromisoformat(key).astimezone(BEIJING)
        if period.days == 1:
            return local.hour
        index = (local.date() - period.first).days
        return index if period.days <= 62 else index // 7

    if period.days == 1:
        labels = [f"{h}时" for h in range(24)]
    elif period.days <= 62:
        labels = [f"{d.month}/{d.day}" for d in (period.first + timedelta(days=i) for i in range(period.days))]
    else:
        labels = [
            f"{d.month}/{d.day}起"
            for d in (period.first + timedelta(days=7 * i) for i in range((period.days + 6) // 7))
        ]
    totals: Counter[int] = Counter()
    negatives: Counter[int] = Counter()
    for bucket in hours:
        totals[slot(bucket.key)] += bucket.count
    for bucket in negative_hours:
        negatives[slot(bucket.key)] += bucket.count
    return [TrendPoint(label, totals[i], negatives[i]) for i, label in enumerate(labels)]


def compliance_of(incident: Incident, now: datetime) -> tuple[str, bool | None]:
    """Whether the report to the propaganda department came within the window (报告时效)."""
    verdict = report_in_time(incident, now)
    if incident.reported_at is not None:
        return ("按时报告" if verdict else "超时报告"), verdict
    return ("超时未报告" if verdict is False else "未到时限"), verdict


def minutes_between(start: datetime, end: datetime | None) -> float | None:
    return None if end is None else round((end - start).total_seconds() / 60, 1)


def _incidents(
    session: Session, config: Config, scope: Scope, since: datetime, until: datetime, now: datetime
) -> list[IncidentRow]:
    query = select(Incident).where(Incident.discovered_at >= since, Incident.discovered_at < until)
    if scope.unit_id is not None:
        query = query.where(Incident.unit.in_(scope.unit_ids))
    names = unit_names(config)
    rows = []
    for incident in session.scalars(query.order_by(Incident.discovered_at, Incident.id)):
        label, in_time = compliance_of(incident, now)
        rows.append(
            IncidentRow(
                id=incident.id,
                title=incident.title,
                unit=names.get(incident.unit or "", incident.unit or "未归属单位"),
                level=Level(incident.level).zh,
                stage=Stage(incident.stage).zh,
                discovered_at=incident.discovered_at,
                report_due_at=incident.report_due_at,
                minutes_to_acknowledge=minutes_between(incident.discovered_at, incident.acknowledged_at),
                minutes_to_report=minutes_between(incident.discovered_at, incident.reported_at),
                compliance=label,
                in_time=in_time,
            )
        )
    return rows


def _events(
    session: Session, store: MentionSearch, scope: Scope, since: datetime, until: datetime, top: int
) -> list[EventRow]:
    """Stories with copies that had copies in the period, counted within the scope, most copies first."""
    candidates = list(
        session.scalars(
            select(Event)
            .where(Event.copies >= 2, Event.last_seen_at >= since, Event.first_seen_at < until)
            .order_by(Event.copies.desc(), Event.id)
            .limit(_EVENT_CANDIDATES)
        )
    )
    if not candidates:
        return []
    members = session.execute(
        select(EventMember.event_id, EventMember.mention_id).where(
            EventMember.event_id.in_([e.id for e in candidates]),
            EventMember.discovered_at >= since,
            EventMember.discovered_at < until,
        )
    ).all()
    units = {m.id: m.unit for m in store.get_many([row.mention_id for row in members])}
    copies: Counter[str] = Counter(
        row.event_id for row in members if row.mention_id in units and scope.covers(units[row.mention_id])
    )
    cases = {
        key: incident_id
        for key, incident_id in session.execute(
            select(Incident.case_key, Incident.id).where(Incident.case_key.in_(list(copies)))
        )
    }
    rows = [
        EventRow(
            id=e.id,
            title=e.title,
            first_seen_at=e.first_seen_at,
            copies=copies[e.id],
            total_copies=e.copies,
            sources=len(e.sources),
            replies=e.replies,
            views=e.views,
            incident_id=cases.get(e.id),
        )
        for e in candidates
        if copies[e.id] > 0
    ]
    rows.sort(key=lambda r: (-r.copies, -r.replies, r.first_seen_at))
    return rows[:top]


def _percent(value: float) -> str:
    return f"{value * 100:.1f}%"


def findings(f: PeriodFigures) -> list[str]:
    """研判: what the figures say, each sentence stated from a figure in the report."""
    out: list[str] = []
    if f.total == 0:
        return [f"本期（{f.period.label}）未监测到涉及{f.scope.name}的网络信息。"]
    volume = f"本期共监测到涉及{f.scope.name}的网络信息 {f.total} 条"
    if f.change is not None:
        trend = "增加" if f.change > 0 else "减少" if f.change < 0 else "持平"
        volume += f"，较上期（{f.previous_total} 条）{trend}" + (f" {_percent(abs(f.change))}" if f.change else "")
    out.append(volume + "。")
    if f.negative_share is not None:
        text = f"负面信息 {f.negative} 条，占已分析信息的 {_percent(f.negative_share)}"
        if f.previous_negative_share is not None:
            delta = (f.negative_share - f.previous_negative_share) * 100
            if abs(delta) >= 0.05:
                text += f"，较上期{'上升' if delta > 0 else '下降'} {abs(delta):.1f} 个百分点"
        out.append(text + "。")
    if f.flagged_large:
        parts = "、".join(f"{Level(level).zh} {n} 条" for level, n in sorted(f.levels.items(), reverse=True) if n)
        out.append(f"较大及以上级别信息 {f.flagged_large} 条（{parts}），需重点关注。")
    if f.schemes:
        out.append(f"命中最多的监测方案为「{f.schemes[0].key}」（{f.schemes[0].count} 条）。")
    if f.events:
        top = f.events[0]
        out.append(f"传播最广的事件为「{top.title}」，本期转载 {top.copies} 次，涉及 {top.sources} 个来源。")
    if f.incidents:
        text = f"本期立案处置舆情事件 {len(f.incidents)} 起"
        if f.in_time_share is not None:
            text += f"，按时报告率 {_percent(f.in_time_share)}"
        out.append(text + "。")
        missed = [row for row in f.incidents if row.in_time is False]
        if missed:
            units = "、".join(dict.fromkeys(row.unit for row in missed))
            out.append(f"有 {len(missed)} 起未在时限内报告宣传部（{units}），请督促整改并落实责任。")
        open_cases = [row for row in f.incidents if row.stage != Stage.CLOSED.zh]
        if open_cases:
            out.append(f"尚有 {len(open_cases)} 起事件未结案，请持续跟进处置。")
    return out
