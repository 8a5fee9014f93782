"""Hot topics: a scheme or unit is hot when its current window reaches min_count and factor × its baseline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from analysis.spikes import hot_topics
from config import load_config
from store.mentions import Analysis, NewMention, SchemeFlag
from store.mentions.sqlite import SqliteMentionStore

EXAMPLE = Path(__file__).resolve().parents[2] / "config" / "example"
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def _add(store: SqliteMentionStore, n: int, *, at: datetime, scheme: str, unit: str, tag: str) -> None:
    created = store.upsert_many(
        [
            NewMention(source="s", post_id=f"{tag}-{i}", url=f"http://x/{tag}/{i}", title="", content=f"{tag} {i}")
            for i in range(n)
        ],
        now=at,
    ).created
    analysis = Analysis(
        tokens=[],
        sentiment=-0.5,
        sentiment_label="negative",
        flags=[SchemeFlag(scheme=scheme, words=["x"])],
        level=2,
        unit=unit,
        explanation=[],
    )
    store.save_analysis([(mention_id, analysis) for mention_id in created])


def test_a_jump_over_the_baseline_is_hot_and_steady_volume_is_not(tmp_path: Path) -> None:
    config = load_config(EXAMPLE)
    store = SqliteMentionStore(tmp_path / "m.sqlite3")
    # Steady: 4 fee complaints in every hour of the past day, 4 this hour too.
    for hour in range(1, 25):
        _add(
            store, 4, at=NOW - timedelta(hours=hour, minutes=-5), scheme="arbitrary-fees", unit="county", tag=f"f{hour}"
        )
    _add(store, 4, at=NOW - timedelta(minutes=10), scheme="arbitrary-fees", unit="county", tag="fnow")
    # New: 6 bullying posts this hour about one school, none before.
    _add(store, 6, at=NOW - timedelta(minutes=20), scheme="school-bullying", unit="school-no1", tag="b")
    # Too few to matter: 2 posts on a new scheme.
    _add(store, 2, at=NOW - timedelta(minutes=5), scheme="pollution", unit="town-chengguan", tag="p")

    hot = hot_topics(store, config, now=NOW)
    assert [(t.kind, t.key, t.count) for t in hot] == [("scheme", "school-bullying", 6), ("unit", "school-no1", 6)]
    assert hot[0].baseline == 0 and hot[0].ratio is None
    assert hot[0].describe() == "监测方案「校园欺凌」升温：本时段 6 篇，此前没有"
    store.close()


def test_a_rising_topic_with_a_baseline_reports_its_ratio(tmp_path: Path) -> None:
    config = load_config(EXAMPLE)
    store = SqliteMentionStore(tmp_path / "m.sqlite3")
    for hour in range(2, 26, 2):  # 12 posts over the day: 0.5 per hour
        _add(store, 1, at=NOW - timedelta(hours=hour), scheme="unpaid-wages", unit="county", tag=f"w{hour}")
    _add(store, 5, at=NOW - timedelta(minutes=30), scheme="unpaid-wages", unit="county", tag="wnow")
    [wages] = [t for t in hot_topics(store, config, now=NOW) if t.key == "unpaid-wages"]
    assert wages.count == 5 and wages.baseline == 0.5 and wages.ratio == 10
    store.close()
