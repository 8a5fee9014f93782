"""The embedded store's search copy (store/mentions/sqlite_facets.py) follows every write, a file from before it
gains it with its posts, and search over it answers exactly what the posts hold: hits, order, totals and
aggregations against a plain evaluation of random queries over a random store."""

from __future__ import annotations

import logging
import random
import sqlite3
from collections import Counter
from contextlib import closing
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

import pytest

from store.mentions import (
    Analysis,
    Bucket,
    CountUpdate,
    DateHistogram,
    Mention,
    NewMention,
    SchemeFlag,
    SearchQuery,
    Terms,
    sqlite_facets,
)
from store.mentions.sqlite import SqliteMentionStore
from store.mentions.sqlite_facets import heat_key, tag

T0 = datetime(2026, 3, 5, 8, 10, tzinfo=UTC)
WORDS = ["食堂", "学校", "收费", "物业", "拖欠", "工资", "噪音", "道路", "医院", "补课"]
SOURCES = ["tieba", "hongwang", "12345"]
UNITS = ["no1-middle", "town", "bureau", None]
LABELS: tuple[Literal["negative", "neutral", "positive"], ...] = ("negative", "neutral", "positive")
SCHEMES = ["food-safety", "fees", "wages"]
TYPES = ["投诉", "求助", "表扬", None]

_COPY = "rowid, discovered_at, published_at, id, source, unit, sentiment_label, level, post_type"


def copy_rows(store: SqliteMentionStore) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    """(the copy's rows, the same columns computed from mentions), in rowid order."""
    with store._connection() as conn:
        kept = conn.execute(f"SELECT {_COPY}, heat FROM mention_facets ORDER BY rowid").fetchall()
        wanted = conn.execute(f"SELECT {_COPY}, {heat_key('mentions')} FROM mentions ORDER BY rowid").fetchall()
    return [tuple(r) for r in kept], [tuple(r) for r in wanted]


def post(i: int, rng: random.Random) -> NewMention:
    words = rng.sample(WORDS, rng.randint(1, 4))
    return NewMention(
        rng.choice(SOURCES),
        str(i),
        f"http://board.example/p/{i}",
        f"帖子{i}{words[0]}",
        "，".join(words) + "。",
        published_at=T0 - timedelta(hours=rng.randint(0, 500)),
        unit=rng.choice(UNITS[:3]),
        reply_count=rng.choice([None, rng.randint(0, 50)]),
        view_count=rng.choice([None, rng.randint(0, 5000)]),
        up_votes=rng.choice([None, rng.randint(0, 9)]),
    )


def analysis_of(rng: random.Random) -> Analysis:
    schemes = rng.sample(SCHEMES, rng.choice([0, 0, 1, 2]))
    return Analysis(
        tokens=["词"],
        sentiment=0.0,
        sentiment_label=rng.choice(LABELS),
        flags=[SchemeFlag(s, ["词"], []) for s in schemes],
        level=rng.choice([0, 0, 1, 2, 3, 4]),
        unit=rng.choice(UNITS),
        explanation=[],
        event_id=rng.choice([None, "evt-1", "evt-2"]),
        post_type=rng.choice(TYPES),
    )


def random_store(path: Path, count: int, seed: int) -> tuple[SqliteMentionStore, list[NewMention]]:
    rng = random.Random(seed)
    store = SqliteMentionStore(path)
    posts = [post(i, rng) for i in range(count)]
    for i in range(0, count, 20):  # discovered in batches over a few weeks
        store.upsert_many(posts[i : i + 20], now=T0 + timedelta(hours=i // 2, minutes=rng.randint(0, 59)))
    ids = [f"{p.source}:{p.post_id}" for p in posts]
    store.save_analysis([(i, analysis_of(rng)) for i in ids if rng.random() < 0.85], now=T0)
    return store, posts


def test_the_copy_follows_every_write(tmp_path: Path) -> None:
    store, posts = random_store(tmp_path / "m.sqlite3", 60, seed=1)
    try:
        kept, wanted = copy_rows(store)
        assert len(kept) == 60 and kept == wanted
        ids = [f"{p.source}:{p.post_id}" for p in posts]
        store.record_counts([CountUpdate(ids[0], 99, 12345, down_votes=3), CountUpdate(ids[1], None, 7)])
        edited = replace(posts[2], content="改过的正文：学校收费", reply_count=5)  # an edit drops the analysis
        store.upsert_many([edited], now=T0 + timedelta(days=60))
        store.save_analysis([(ids[3], analysis_of(random.Random(9)))])
        store.request_reanalysis()
        store.mark_deleted([ids[4]])
        store.upsert_many([post(1000, random.Random(3))], now=T0 + timedelta(days=61))
        kept, wanted = copy_rows(store)
        assert len(kept) == 61 and kept == wanted
        assert any(row[3] == ids[0] and row[-1] == -(99 * 10 + 3 * 5 + 12345) for row in kept)
    finally:
        store.close()


def test_a_file_from_before_the_copy_gains_it_and_finds_the_same(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite_facets, "ANNOUNCE_FROM", 50)  # a large store's wait is announced before it starts
    path = tmp_path / "m.sqlite3"
    store, _ = random_store(path, 80, seed=2)
    query = SearchQuery(
        text="学校 OR 食堂",
        units=("no1-middle", "town"),
        size=7,
        aggs=(DateHistogram("d", "discovered_at", "day"), Terms("s", "schemes"), Terms("u", "unit")),
    )
    before = store.search(query)
    store.close()
    with sqlite3.connect(path) as conn:  # as files were before the copy existed
        for trigger in ("insert", "update", "delete"):
            conn.execute(f"DROP TRIGGER mention_facets_{trigger}")
        conn.execute("DROP TABLE mention_facets")
    with caplog.at_level(logging.INFO, logger="store.mentions.sqlite_facets"):
        again = SqliteMentionStore(path)
    said = [r.getMessage() for r in caplog.records if r.name == "store.mentions.sqlite_facets"]
    assert len(said) == 2 and "正在为已有的约 80 条舆情建立检索表" in said[0] and "检索表已建立：80 条" in said[1]
    try:
        kept, wanted = copy_rows(again)
        assert len(kept) == 80 and kept == wanted
        after = again.search(query)
        assert before.total > 7 and after == before
    finally:
        again.close()


def test_opening_a_file_replaces_triggers_an_earlier_version_wrote(tmp_path: Path) -> None:
    path = tmp_path / "m.sqlite3"
    store, posts = random_store(path, 10, seed=6)
    store.close()
    with sqlite3.connect(path) as conn:  # an earlier, different update trigger (here: one that does nothing)
        conn.execute("DROP TRIGGER mention_facets_update")
        conn.execute("CREATE TRIGGER mention_facets_update AFTER UPDATE OF level ON mentions BEGIN SELECT 1; END")
    again = SqliteMentionStore(path)
    try:
        first = f"{posts[0].source}:{posts[0].post_id}"
        again.record_counts([CountUpdate(first, 77, 1)])
        again.save_analysis([(first, analysis_of(random.Random(8)))])
        kept, wanted = copy_rows(again)
        assert kept == wanted
    finally:
        again.close()


def test_search_filters_on_the_copy_and_the_tags(tmp_path: Path) -> None:
    """Words are filtered inside FTS by the filter tags and then through the narrow copy: were either wrong,
    search would be (the triggers see that neither is)."""
    store, posts = random_store(tmp_path / "m.sqlite3", 30, seed=3)
    try:
        found = store.search(SearchQuery(text="帖子", size=100))
        assert found.total == 30
        with store._connection() as conn:
            conn.execute("UPDATE mention_facets SET source = 'elsewhere' WHERE rowid = 1")
        assert store.search(SearchQuery(text="帖子", sources=("elsewhere",))).hits == []  # its tag says otherwise
        same_source = SearchQuery(text="帖子", sources=(posts[0].source,), size=100)
        assert "0" not in [m.post_id for m in store.search(same_source).hits]  # the copy says otherwise
        with store._connection() as conn:
            conn.execute("UPDATE mentions_fts SET tags = ? WHERE rowid = 1", (tag("source", "elsewhere"),))
        elsewhere = store.search(SearchQuery(text="帖子", sources=("elsewhere",)))
        assert [m.post_id for m in elsewhere.hits] == ["0"]
    finally:
        store.close()


# --- search against a plain evaluation ----------------------------------------------------------------------


def _matches(m: Mention, tokens: set[str], query: SearchQuery, schemes: dict[str, set[str]]) -> bool:
    words = (query.text or "").split()
    a = m.analysis
    checks = [
        all(w in tokens for w in words),
        query.since is None or m.discovered_at >= query.since,
        not query.sources or m.source in query.sources,
        not query.units or m.unit in query.units,
        not query.sentiment_labels or (a is not None and a.sentiment_label in query.sentiment_labels),
        not query.schemes or bool(schemes.get(m.id, set()) & set(query.schemes)),
        query.min_level is None or (a is not None and a.level >= query.min_level),
        not query.post_types or (a is not None and a.post_type in query.post_types),
        not query.events or (a is not None and a.event_id in query.events),
    ]
    return all(checks)


def _heat(m: Mention) -> int:
    return -((m.reply_count or 0) * 10 + ((m.up_votes or 0) + (m.down_votes or 0)) * 5 + (m.view_count or 0))


def _terms(values: list[str | None], size: int) -> list[Bucket]:
    counted = Counter(v for v in values if v is not None)
    ordered = sorted(counted.items(), key=lambda kv: (-kv[1], kv[0]))
    return [Bucket(k, n) for k, n in ordered[:size]]


def _day(m: Mention) -> str:
    at = m.discovered_at.astimezone(UTC)
    return datetime(at.year, at.month, at.day, tzinfo=UTC).isoformat()


def test_search_answers_what_the_posts_hold(tmp_path: Path) -> None:
    store, posts = random_store(tmp_path / "m.sqlite3", 300, seed=4)
    try:
        every = store.get_many([f"{p.source}:{p.post_id}" for p in posts])
        tokens = {i: set(t[0]) | set(t[1]) for i, t in store.index_tokens([m.id for m in every]).items()}
        schemes = {m.id: set(m.analysis.schemes) for m in every if m.analysis is not None}
        rng = random.Random(5)
        checked = 0
        for _ in range(120):
            query = SearchQuery(
                text=" ".join(rng.sample(WORDS, rng.choice([1, 1, 2]))),
                since=rng.choice([None, T0 + timedelta(days=rng.randint(0, 6))]),
                sources=tuple(rng.sample(SOURCES, rng.choice([0, 0, 1, 2]))),
                units=tuple(u for u in rng.sample(UNITS[:3], rng.choice([0, 0, 1])) if u),
                sentiment_labels=tuple(rng.sample(LABELS, rng.choice([0, 0, 1]))),
                schemes=tuple(rng.sample(SCHEMES, rng.choice([0, 0, 0, 1]))),
                min_level=rng.choice([None, None, 1, 3]),
                post_types=tuple(t for t in rng.sample(TYPES, rng.choice([0, 0, 0, 1])) if t),
                events=tuple(rng.sample(["evt-1", "evt-2"], rng.choice([0, 0, 0, 0, 1]))),
                size=rng.choice([5, 20]),
                sort=rng.choice(["time", "time", "heat"]),
                aggs=(
                    DateHistogram("d", "discovered_at", "day"),
                    Terms("s", "source"),
                    Terms("u", "unit", size=2),
                    Terms("c", "schemes"),
                    Terms("l", "level"),
                ),
            )
            hits = [m for m in every if _matches(m, tokens[m.id], query, schemes)]
            by_time = sorted(hits, key=lambda m: (m.discovered_at, m.id), reverse=True)
            ordered = sorted(by_time, key=_heat) if query.sort == "heat" else by_time  # stable: ties by time
            got: list[str] = []
            cursor = None
            while True:  # every page, through the cursors
                page = store.search(replace(query, cursor=cursor))
                assert page.total == len(hits)
                got += [m.id for m in page.hits]
                cursor = page.next_cursor
                if cursor is None:
                    break
            assert got == [m.id for m in ordered], query
            levels = [str(m.analysis.level) if m.analysis is not None else None for m in hits]
            days = Counter(_day(m) for m in hits)
            assert page.aggregations == {
                "d": [Bucket(k, days[k]) for k in sorted(days)],
                "s": _terms([m.source for m in hits], 10),
                "u": _terms([m.unit for m in hits], 2),
                "c": _terms([s for m in hits for s in schemes.get(m.id, ())], 10),
                "l": _terms(levels, 10),
            }, query
            checked += bool(hits)
        assert checked >= 40  # most queries find something: the comparison is not of empty lists
    finally:
        store.close()


# --- the rebuild of a version-5 index and the space it leaves ----------------------------------------------


def _as_version_5(path: Path) -> None:
    """The FTS index without the tags column, as files before version 6 had it."""
    with closing(sqlite3.connect(path)) as conn, conn:
        conn.execute("DROP TRIGGER mentions_fts_tags")
        rows = conn.execute("SELECT rowid, title, body FROM mentions_fts").fetchall()
        conn.execute("DROP TABLE mentions_fts")
        conn.execute("CREATE VIRTUAL TABLE mentions_fts USING fts5(title, body)")
        conn.executemany("INSERT INTO mentions_fts (rowid, title, body) VALUES (?, ?, ?)", rows)
        conn.execute("PRAGMA user_version = 5")
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("VACUUM")  # a compact file, as it was before the rebuild


def _pages(path: Path) -> tuple[int, int, bool]:
    """(pages, free pages, a VACUUM owed)."""
    with closing(sqlite3.connect(path)) as conn:
        owed = conn.execute("SELECT 1 FROM meta WHERE key = ?", (sqlite_facets.RECLAIM,)).fetchone() is not None
        return (
            conn.execute("PRAGMA page_count").fetchone()[0],
            conn.execute("PRAGMA freelist_count").fetchone()[0],
            owed,
        )


def test_the_rebuild_gives_its_space_back_once_even_after_a_crash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "m.sqlite3"
    store, _ = random_store(path, 400, seed=7)
    query = SearchQuery(text="学校 OR 食堂", size=50, sort="relevance")
    before = store.search(query)
    store.close()
    _as_version_5(path)
    compact, _, _ = _pages(path)
    vacuums: list[Path] = []
    real = sqlite_facets.reclaim_space

    def crash(path: Path, busy_timeout_s: int) -> None:  # the process ends between the rebuild and the VACUUM
        vacuums.append(path)

    monkeypatch.setattr("store.mentions.sqlite.reclaim_space", crash)
    SqliteMentionStore(path).close()
    grown, free_after_rebuild, owed = _pages(path)
    assert vacuums and owed and free_after_rebuild > 0 and grown > compact  # the old index's pages lie free

    def counted(path: Path, busy_timeout_s: int) -> None:
        vacuums.append(path)
        real(path, busy_timeout_s)

    monkeypatch.setattr("store.mentions.sqlite.reclaim_space", counted)
    again = SqliteMentionStore(path)  # the next open does what was owed
    try:
        assert again.search(query) == before
    finally:
        again.close()
    pages, free, owed = _pages(path)
    assert len(vacuums) == 2 and not owed and free == 0 and pages <= grown - free_after_rebuild
    SqliteMentionStore(path).close()  # nothing owed: no VACUUM
    assert len(vacuums) == 2
    with closing(sqlite3.connect(path)) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 6
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
