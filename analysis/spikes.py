"""Hot topics: a scheme or unit whose mentions in the current window jump well above its recent baseline.

Counted with the mention store's own aggregations (so it works the same on SQLite and Elasticsearch): mentions
discovered in the last `window_minutes`, against the average per window over the `baseline_hours` before it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from config import Config
from store.mentions import MentionSearch, SearchQuery, Terms

MAX_KEYS = 200


@dataclass(frozen=True)
class HotTopic:
    kind: Literal["scheme", "unit"]
    key: str
    name: str
    count: int  # mentions in the current window
    baseline: float  # average mentions per window before it
    since: datetime

    @property
    def ratio(self) -> float | None:
        return None if self.baseline == 0 else self.count / self.baseline

    def describe(self) -> str:
        kind = "监测方案" if self.kind == "scheme" else "单位"
        base = f"此前平均每时段 {self.baseline:.1f} 篇" if self.baseline else "此前没有"
        return f"{kind}「{self.name}」升温：本时段 {self.count} 篇，{base}"


def _counts(
    store: MentionSearch, since: datetime, until: datetime, units: tuple[str, ...]
) -> dict[tuple[str, str], int]:
    result = store.search(
        SearchQuery(
            since=since,
            until=until,
            units=units,
            size=1,
            aggs=(Terms("schemes", "schemes", size=MAX_KEYS), Terms("units", "unit", size=MAX_KEYS)),
        )
    )
    out: dict[tuple[str, str], int] = {}
    for kind, agg in (("scheme", "schemes"), ("unit", "units")):
        for bucket in result.aggregations.get(agg, []):
            out[(kind, bucket.key)] = bucket.count
    return out


def hot_topics(store: MentionSearch, config: Config, *, now: datetime, units: tuple[str, ...] = ()) -> list[HotTopic]:
    """Hot schemes and units right now, hottest first; with `units`, counted over those units' mentions only
    (a user is told "9 posts" only of posts they can open)."""
    spikes = config.analysis.spikes
    window = timedelta(minutes=spikes.window_minutes)
    baseline_span = timedelta(hours=spikes.baseline_hours)
    current = _counts(store, now - window, now, units)
    before = _counts(store, now - window - baseline_span, now - window, units)
    windows = baseline_span / window
    names = {("scheme", s.id): s.name for s in config.schemes} | {("unit", u.id): u.name for u in config.units}
    hot: list[HotTopic] = []
    for (kind, key), count in current.items():
        baseline = before.get((kind, key), 0) / windows
        if count >= spikes.min_count and count >= spikes.factor * baseline:
            topic_kind: Literal["scheme", "unit"] = "scheme" if kind == "scheme" else "unit"
            hot.append(HotTopic(topic_kind, key, names.get((kind, key), key), count, round(baseline, 2), now - window))
    hot.sort(key=lambda t: (-(t.count - t.baseline), t.key))
    return hot
