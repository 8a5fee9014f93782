"""SqliteMentionStore.save_analysis writes a batch in a few statements (the rowids in one query, then one
executemany each) with what saving one mention after another stored: the sequence numbered in the batch's
order, a mention not in the store skipped, a mention given twice stored as its last analysis (its schemes
those of the last one, its number the later one)."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from store.mentions import Analysis, NewMention, SchemeFlag, SearchQuery, mention_id
from store.mentions.sqlite import SqliteMentionStore


def analysis(level: int, *schemes: str) -> Analysis:
    return Analysis(
        tokens=["学校", "收费"],
        sentiment=-0.5,
        sentiment_label="negative",
        flags=[SchemeFlag(s, ["收费"], [("content", 2)]) for s in schemes],
        level=level,
        unit=None,
        explanation=[f"级别 {level}"],
        post_type="投诉",
    )


def test_a_batch_is_stored_as_one_mention_after_another(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    store = SqliteMentionStore(tmp_path / "m.sqlite3")
    now = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    posts = [NewMention("s", str(n), f"http://b/{n}", f"标题{n}", f"学校乱收费{n}") for n in range(4)]
    store.upsert_many(posts, now=now)
    ids = [mention_id("s", str(n)) for n in range(4)]
    store.save_analysis([(ids[0], analysis(1, "a", "b")), (ids[1], analysis(2, "a"))], now=now)
    store.save_analysis(
        [
            (ids[2], analysis(3, "c")),
            ("missing", analysis(3, "c")),
            (ids[0], analysis(2, "b", "b")),
            (ids[3], analysis(0)),
            (ids[1], analysis(1)),
            (ids[0], analysis(1, "d")),
        ],
        now=now,
    )
    assert "missing" in caplog.text
    stored = {m.id: m for m in (store.get(i) for i in ids) if m is not None}
    assert [stored[i].analysis_seq for i in ids] == [7, 6, 3, 5]
    analyses = [stored[i].analysis for i in ids]
    assert [a.level if a else None for a in analyses] == [1, 1, 3, 0]
    assert [a.schemes if a else None for a in analyses] == [["d"], [], ["c"], []]
    with sqlite3.connect(tmp_path / "m.sqlite3") as conn:
        rows = conn.execute(
            "SELECT m.id, s.scheme FROM mention_schemes s JOIN mentions m ON m.rowid = s.mention_rowid ORDER BY 1, 2"
        ).fetchall()
    assert rows == sorted([(ids[0], "d"), (ids[2], "c")])
    # The counter continues after the batch's last number.
    store.save_analysis([(ids[3], analysis(2, "e"))], now=now)
    again = store.get(ids[3])
    assert again is not None and again.analysis_seq == 8
    store.close()


def with_unit(unit: str | None) -> Analysis:
    return Analysis(
        tokens=["路灯"],
        sentiment=0.0,
        sentiment_label="neutral",
        flags=[],
        level=0,
        unit=unit,
        explanation=["级别 0"],
        post_type="投诉",
    )


def test_a_unit_found_and_then_not_goes_back_to_the_crawls_unit_everywhere(tmp_path: Path) -> None:
    """An analysis naming no unit leaves `unit` out of its UPDATE (store/mentions/sqlite.py _SAVE): a post that an
    earlier analysis (or an earlier one in the same batch) gave another unit still gets the crawl's unit back, in
    the row, in the search copy and in the full-text tags, and the last analysis of a batch decides."""
    store = SqliteMentionStore(tmp_path / "m.sqlite3")
    now = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    posts = [NewMention("s", str(n), f"http://b/{n}", f"路灯{n}", "路灯不亮", unit="county") for n in range(3)]
    store.upsert_many(posts, now=now)
    ids = [mention_id("s", str(n)) for n in range(3)]

    def units() -> list[str | None]:
        return [m.unit for m in store.get_many(ids)]

    def found(unit: str) -> list[str]:
        return sorted(m.id for m in store.search(SearchQuery(text="路灯", units=(unit,), size=10)).hits)

    store.save_analysis([(ids[0], with_unit("county-edu")), (ids[1], with_unit(None))], now=now)
    assert units() == ["county-edu", "county", "county"]
    assert found("county-edu") == [ids[0]]
    store.save_analysis(
        [
            (ids[0], with_unit(None)),
            (ids[1], with_unit("town")),
            (ids[1], with_unit(None)),
            (ids[2], with_unit(None)),
            (ids[2], with_unit("town")),
        ],
        now=now,
    )
    assert units() == ["county", "county", "town"]
    assert found("county-edu") == []
    assert found("county") == sorted(ids[:2])
    assert found("town") == [ids[2]]
    analyses = [m.analysis for m in store.get_many(ids)]
    assert [a.unit if a else "?" for a in analyses] == [None, None, "town"]
    with sqlite3.connect(tmp_path / "m.sqlite3") as conn:
        copied = conn.execute("SELECT unit FROM mention_facets ORDER BY rowid").fetchall()
    assert copied == [("county",), ("county",), ("town",)]
    store.close()
