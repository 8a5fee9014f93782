"""Typed configuration models. Unknown fields are refused so a typo never silently disables a setting."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from enum import IntEnum
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    ValidationInfo,
    field_validator,
    model_validator,
)

import textquery
from config.errors import NotConfigured
from config.masking import SecretMask
from config.sms import MessageTemplate
from config.sources import AnySource, Source

IDENT = r"^[a-z0-9][a-z0-9_-]*$"
BEIJING = ZoneInfo("Asia/Shanghai")


class Level(IntEnum):
    """Risk level of a mention or incident (一般/较大/重大/特别重大), ordered so thresholds compare."""

    GENERAL = 1
    LARGE = 2
    MAJOR = 3
    CRITICAL = 4

    @property
    def zh(self) -> str:
        return _LEVEL_ZH[self]

    @classmethod
    def parse(cls, value: Any) -> Level:
        if isinstance(value, Level):
            return value
        if isinstance(value, int):
            return cls(value)
        text = str(value).strip()
        for level, zh in _LEVEL_ZH.items():
            if text == zh or text.upper() == level.name:
                return level
        raise ValueError(f"未知的级别 {value!r}，可选：一般、较大、重大、特别重大")


_LEVEL_ZH = {Level.GENERAL: "一般", Level.LARGE: "较大", Level.MAJOR: "重大", Level.CRITICAL: "特别重大"}

# A level written in YAML as 重大, MAJOR or 3.
LevelField = Annotated[Level, BeforeValidator(Level.parse)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# Size limits of one scheme: a matcher (and a backtest) costs time per word, so a scheme of 300,000 words is an
# attack, not a scheme. Real schemes have tens of words; these leave room for large lexicons.
MAX_SCHEME_WORDS = 1_000  # region + subject + event + exclude together
MAX_WORD_CHARS = 50
MAX_QUERY_CHARS = 4_000
MAX_SCHEME_NAME_CHARS = 100


class Scheme(Strict):
    """A monitoring scheme (监测方案): region AND subject AND event, NOT exclusion; empty groups are ignored.

    `query` is the analysts' boolean form (AND, OR, NOT, parentheses, "phrases"); with groups too, both must
    hold. `proximity` asks for one word of every non-empty group within that many characters of each other."""

    id: str = Field(pattern=IDENT)
    name: str
    severity: LevelField = Field(default=Level.LARGE, description="level a match raises a mention to")
    region: list[str] = Field(default_factory=list)
    subject: list[str] = Field(default_factory=list)
    event: list[str] = Field(default_factory=list)
    exclude: list[str] = Field(default_factory=list)
    query: str | None = None
    proximity: int | None = Field(default=None, ge=2, le=10_000, description="characters")
    scope: Literal["any", "title"] = Field(default="any", description="title: match in the title only")
    topics: list[str] = Field(
        default_factory=list,
        description="the labelling guide's topics this scheme watches (安全事故, 劳资欠薪, …): what "
        "`yuqing schemes evaluate` scores it against",
    )
    enabled: bool = True

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if len(value) > MAX_SCHEME_NAME_CHARS:
            raise ValueError(f"方案名称过长：{len(value)} 个字符，最多 {MAX_SCHEME_NAME_CHARS} 个")
        return value

    @field_validator("region", "subject", "event", "exclude")
    @classmethod
    def _words(cls, value: list[str]) -> list[str]:
        if len(value) > MAX_SCHEME_WORDS:
            raise ValueError(f"词语过多：{len(value)} 个，一个方案最多 {MAX_SCHEME_WORDS} 个")
        words = [w.strip() for w in value]
        if any(not w for w in words):
            raise ValueError("列表中有空词语")
        long = next((w for w in words if len(w) > MAX_WORD_CHARS), None)
        if long is not None:
            raise ValueError(f"词语过长：“{long[:20]}…”有 {len(long)} 个字符，最多 {MAX_WORD_CHARS} 个")
        return words

    @field_validator("query")
    @classmethod
    def _query(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return None
        if len(value) > MAX_QUERY_CHARS:  # checked before parsing: parsing is the cost being capped
            raise ValueError(f"检索式过长：{len(value)} 个字符，最多 {MAX_QUERY_CHARS} 个")
        scheme = f"方案「{info.data.get('name', '?')}」"
        try:
            node = textquery.parse(value)
        except textquery.QuerySyntaxError as exc:
            raise ValueError(f"{scheme}：检索式语法错误：{exc.zh}") from None
        if textquery.matches_without_words(node):
            raise ValueError(f"{scheme}：检索式会命中不含其中任何词语的帖子（只有 NOT 的部分）")
        return value

    @model_validator(mode="after")
    def _has_words(self) -> Scheme:
        total = len(self.region) + len(self.subject) + len(self.event) + len(self.exclude)
        if total > MAX_SCHEME_WORDS:
            raise ValueError(
                f"词语过多：region、subject、event、exclude 共 {total} 个，一个方案最多 {MAX_SCHEME_WORDS} 个"
            )
        if not (self.region or self.subject or self.event or self.query):
            raise ValueError("方案须在 region、subject、event 中至少一组写上词语，或给出 query")
        if self.proximity is not None and sum(1 for g in (self.region, self.subject, self.event) if g) < 2:
            raise ValueError("proximity 要求 region、subject、event 中至少两组有词语")
        return self


Role = Literal["duty_officer", "secretary", "commentator", "propaganda"]


class DutyContact(Strict):
    name: str
    role: Role = "duty_officer"
    channels: list[str] = Field(min_length=1, description="channel ids, tried in order")


class Shift(Strict):
    """Who of the unit's duty contacts is on duty: on these ISO weekdays (1 = Monday), from start to end in
    Beijing time. A shift whose end is not after its start runs overnight into the next day."""

    days: list[int] = Field(min_length=1)
    start: time
    end: time
    on_duty: list[str] = Field(min_length=1, description="names from the unit's duty list")

    @field_validator("days")
    @classmethod
    def _weekdays(cls, value: list[int]) -> list[int]:
        if any(d < 1 or d > 7 for d in value):
            raise ValueError("days 为星期几：1（星期一）到 7（星期日）")
        return value

    def covers(self, local: datetime) -> bool:
        now = local.time()
        if self.start < self.end:
            return local.isoweekday() in self.days and self.start <= now < self.end
        yesterday = (local - timedelta(days=1)).isoweekday()
        return (local.isoweekday() in self.days and now >= self.start) or (yesterday in self.days and now < self.end)


class Unit(Strict):
    id: str = Field(pattern=IDENT)
    name: str
    aliases: list[str] = Field(default_factory=list)
    keywords: list[str] = Field(
        default_factory=list,
        description="topic words: a post naming no unit goes to the unit whose topic words it has most of",
    )
    parent: str | None = None
    short_name: str = Field(default="", max_length=12, description="for SMS variables; default: shortest alias")
    duty: list[DutyContact] = Field(default_factory=list)
    roster: list[Shift] = Field(default_factory=list, description="shifts; contacts in no shift are always on")

    @property
    def short(self) -> str:
        """The name an SMS variable carries: short_name, else the first alias of 2–6 characters, else the name."""
        if self.short_name:
            return self.short_name
        return next((a for a in self.aliases if 2 <= len(a) <= 6), self.name)

    def on_duty(self, at: datetime) -> list[DutyContact]:
        """The contacts reachable at `at`: those on a current shift, and those the roster does not manage.
        When a role would be left with nobody, every contact of that role is reached instead."""
        if not self.roster:
            return list(self.duty)
        local = at.astimezone(BEIJING)
        managed = {name for shift in self.roster for name in shift.on_duty}
        current = {name for shift in self.roster if shift.covers(local) for name in shift.on_duty}
        chosen = [c for c in self.duty if c.name not in managed or c.name in current]
        for role in {c.role for c in self.duty} - {c.role for c in chosen}:
            chosen.extend(c for c in self.duty if c.role == role)
        return chosen

    @property
    def names(self) -> list[str]:
        return [self.name, *self.aliases]


class Place(Strict):
    """A place inside the territory (a town, a township, a district), with its short forms."""

    name: str = Field(min_length=1)
    aliases: list[str] = Field(default_factory=list)

    @property
    def names(self) -> list[str]:
        return [self.name, *self.aliases]


class Territory(Strict):
    """The area the configured units govern (属地): our county or city, its short forms, the places inside it,
    and the places above it. A generic unit alias (教育局, 县政府, 镇政府: one naming none of these places)
    then only matches when no other place qualifies it — "E12市教育局" is not ours."""

    name: str = Field(min_length=1, description="our county or city, e.g. 城关县")
    aliases: list[str] = Field(default_factory=list, description="short forms, e.g. 城关, 本县")
    places: list[Place] = Field(default_factory=list, description="towns, townships and districts inside it")
    above: list[str] = Field(
        default_factory=list,
        description="places containing ours (province, prefecture): naming them does not make a post foreign",
    )

    @field_validator("aliases", "above")
    @classmethod
    def _names(cls, value: list[str]) -> list[str]:
        names = [w.strip() for w in value]
        if any(not w for w in names):
            raise ValueError("列表中有空名称")
        return names

    @property
    def own_names(self) -> list[str]:
        """Every name of ours: the territory's and its places'."""
        return [self.name, *self.aliases, *(n for p in self.places for n in p.names)]


# The steps of a playbook's clock, with what people call them: the one list (playbooks, channel templates and the
# 舆情专报 read it; alerting/clock.py says what firing each does). A channel's templates may also have `call`,
# the text a phone call reads.
ClockStepKind = Literal["alert", "reminder", "escalation", "breach"]
CLOCK_STEP_ZH: dict[str, str] = {"alert": "首次预警", "reminder": "提醒", "escalation": "升级", "breach": "超时通报"}
TemplateKind = Literal[ClockStepKind, "call"]


class Channel(Strict):
    """A notification channel: an Apprise URL (json://, dingtalk://, wecom://, mailto://, ...)."""

    id: str = Field(pattern=IDENT)
    name: str = Field(default="", description="shown to people (briefings, incident page); default from the URL")
    url: SecretStr
    description: str = ""
    templates: dict[TemplateKind, MessageTemplate] = Field(
        default_factory=dict,
        description="SMS and voice channels: the approved template of each message kind (config/sms.py)",
    )


class QuietHours(Strict):
    """Beijing-time hours when digests wait. Incidents (major cases) never wait."""

    start: time
    end: time

    def covers(self, at: datetime) -> bool:
        now = at.astimezone(BEIJING).time()
        return self.start <= now < self.end if self.start < self.end else (now >= self.start or now < self.end)


class AlertingRules(Strict):
    incident_level: LevelField = Field(default=Level.MAJOR, description="open an incident at or above this")
    digest_level: LevelField = Field(default=Level.LARGE, description="below incident_level: collected in digests")
    digest_every_minutes: int = Field(default=60, ge=5, le=24 * 60)
    quiet_hours: QuietHours | None = None
    delivery_attempts: int = Field(default=3, ge=1, le=20)
    delivery_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    operations_channels: list[str] = Field(
        default_factory=list,
        description="channel ids for operations alerts (a source failing, quiet or no longer parsing), in order",
    )
    incident_max_age_hours: int = Field(
        default=24,
        ge=1,
        le=24 * 365,
        description="a post discovered longer ago (e.g. flagged by a re-analysis of history) opens no incident",
    )


class SensitivePeriod(Strict):
    """A key date or sensitive period (重要节点和敏感时期): incidents open from a lower level and the report
    window is shorter. Dates are inclusive, in Beijing time."""

    name: str
    start: date
    end: date
    incident_level: LevelField | None = None
    report_window_minutes: int | None = Field(default=None, ge=5, le=24 * 60)
    risk_points: int = Field(default=10, ge=0, le=50, description="added to the risk of every post in the period")

    @model_validator(mode="after")
    def _ordered(self) -> SensitivePeriod:
        if self.end < self.start:
            raise ValueError("结束日期（end）早于开始日期（start）")
        if self.incident_level is None and self.report_window_minutes is None and not self.risk_points:
            raise ValueError("敏感时期须至少做一件事：加 risk_points、降低 incident_level 或缩短 report_window_minutes")
        return self

    def covers(self, at: datetime) -> bool:
        return self.start <= at.astimezone(BEIJING).date() <= self.end


class RiskThresholds(Strict):
    """Risk points from which a post is at each level; a matched scheme alone scores its severity's threshold."""

    general: int = Field(default=15, ge=1)
    large: int = Field(default=45, ge=1)
    major: int = Field(default=70, ge=1)
    critical: int = Field(default=95, ge=1)

    @model_validator(mode="after")
    def _ascending(self) -> RiskThresholds:
        if not self.general < self.large < self.major < self.critical:
            raise ValueError("阈值须逐级升高：general < large < major < critical（一般 < 较大 < 重大 < 特别重大）")
        return self

    def points(self, level: Level) -> int:
        return {Level.GENERAL: self.general, Level.LARGE: self.large, Level.MAJOR: self.major}.get(level, self.critical)

    def level(self, points: int) -> int:
        """The level for `points`, 0 when below general."""
        for level in (Level.CRITICAL, Level.MAJOR, Level.LARGE, Level.GENERAL):
            if points >= self.points(level):
                return int(level)
        return 0


class GraderThresholds(Strict):
    """The grader's probability that a post is at least at a level, from which it says that level (tuned by
    bench/judgement.py on graded posts; see analysis/data/GRADER_CARD.md)."""

    # The defaults are config/example/analysis.yaml's, chosen by `bench/judgement.py --tune` on all five folds.
    general: float = Field(default=0.8, gt=0.0, lt=1.0, description="P(≥ 一般)")
    large: float = Field(default=0.5, gt=0.0, lt=1.0, description="P(≥ 较大)")
    major: float = Field(default=0.5, gt=0.0, lt=1.0, description="P(≥ 重大)")
    harm_major: float = Field(
        default=0.8, gt=0.0, le=1.0, description="P(≥ 较大) from which a post stating harm (injury, illness …) is 重大"
    )
    calm: float = Field(
        default=0.3,
        gt=0.0,
        le=1.0,
        description="P(咨询) + P(建议) + P(表扬) below 较大: a question or suggestion (1: by type only)",
    )

    def steps(self) -> tuple[float, float, float]:
        return (self.general, self.large, self.major)


class EventSettings(Strict):
    """Same-story clustering: posts whose character shingles overlap at least `similarity` (Jaccard, estimated
    by MinHash) within `window_hours` of the event's latest copy are one event; with `same_subject`, so are
    posts naming the same place or organisation with the same complaint (油烟 at 魅力之城小区) within
    `subject_window_hours` of the story's latest post."""

    window_hours: int = Field(default=72, ge=1, le=24 * 30)
    similarity: float = Field(default=0.5, gt=0.0, le=1.0)
    same_subject: bool = True
    subject_window_hours: int = Field(default=24 * 30, ge=1, le=24 * 365)


class SpikeSettings(Strict):
    """A scheme or unit is a hot topic when its mentions in the last `window_minutes` reach `min_count` and
    `factor` times its average per window over the preceding `baseline_hours`."""

    window_minutes: int = Field(default=60, ge=5, le=24 * 60)
    baseline_hours: int = Field(default=24, ge=1, le=24 * 30)
    min_count: int = Field(default=5, ge=1)
    factor: float = Field(default=3.0, gt=1.0)


class AnalysisSettings(Strict):
    risk: RiskThresholds = Field(default_factory=RiskThresholds)
    grader: GraderThresholds = Field(default_factory=GraderThresholds)
    events: EventSettings = Field(default_factory=EventSettings)
    spikes: SpikeSettings = Field(default_factory=SpikeSettings)
    max_chars: int = Field(default=20_000, ge=100, le=1_000_000, description="longer posts: analysed on this prefix")


BriefingKind = Literal["daily", "weekly"]
_SECRETARIES: list[Role] = ["secretary"]
_BOTH_KINDS: list[BriefingKind] = ["daily", "weekly"]


class BriefingAudience(Strict):
    """Who receives a unit's briefings: its duty contacts with these roles. A briefing covers the unit and
    every unit below it."""

    unit: str
    roles: list[Role] = Field(default_factory=lambda: _SECRETARIES, min_length=1)
    kinds: list[BriefingKind] = Field(default_factory=lambda: _BOTH_KINDS, min_length=1)


class BriefingSettings(Strict):
    """Scheduled briefings (日报/周报), in Beijing time: the daily one for yesterday at `daily_at`, the weekly
    one on ISO weekday `weekly_on` at `weekly_at` for the seven days before. A briefing missed while the
    service was down is sent on the next start if it fell due within `catch_up_days`."""

    daily_at: time = time(8, 0)
    weekly_on: int = Field(default=1, ge=1, le=7, description="ISO weekday, 1 = Monday")
    weekly_at: time = time(8, 30)
    catch_up_days: int = Field(default=7, ge=0, le=60)
    top: int = Field(default=10, ge=3, le=50, description="rows in the top events, sources and posts tables")
    send: list[BriefingAudience] = Field(default_factory=list)


class Config(Strict):
    """Everything in a configuration directory, cross-checked."""

    sources: list[AnySource] = Field(default_factory=list)
    schemes: list[Scheme] = Field(default_factory=list)
    units: list[Unit] = Field(default_factory=list)
    territory: Territory | None = Field(default=None, description="in units.yaml: the area the units govern")
    channels: list[Channel] = Field(default_factory=list)
    alerting: AlertingRules = Field(default_factory=AlertingRules)
    calendar: list[SensitivePeriod] = Field(default_factory=list)
    analysis: AnalysisSettings = Field(default_factory=AnalysisSettings)
    briefings: BriefingSettings = Field(default_factory=BriefingSettings)
    # The values of the ${NAME} secrets the files used, by name: only to mask them (config/masking.py).
    _secrets: dict[str, str] = PrivateAttr(default_factory=dict)

    @property
    def mask(self) -> SecretMask:
        return SecretMask(self._secrets)

    def periods_at(self, at: datetime) -> list[SensitivePeriod]:
        return [p for p in self.calendar if p.covers(at)]

    def source(self, source_id: str) -> Source:
        for source in self.sources:
            if source.id == source_id:
                return source
        raise NotConfigured(f"配置中没有信源 {source_id!r}")

    def unit(self, unit_id: str) -> Unit:
        for unit in self.units:
            if unit.id == unit_id:
                return unit
        raise NotConfigured(f"配置中没有单位 {unit_id!r}")

    def channel(self, channel_id: str) -> Channel:
        for channel in self.channels:
            if channel.id == channel_id:
                return channel
        raise NotConfigured(f"配置中没有通知渠道 {channel_id!r}")
