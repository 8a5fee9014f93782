"""The mention-store contract. Every backend must pass it: the embedded SQLite store always, Elasticsearch
when YUQING_TEST_ES_URL is set (its backend arrives with the Elasticsearch issue)."""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from store.mentions import Analysis, DateHistogram, MentionStore, NewMention, SchemeFlag, SearchQuery, Terms
from store.mentions.sqlite import SqliteMentionStore

BACKENDS = ["sqlite"] + (["elasticsearch"] if os.environ.get("YUQING_TEST_ES_URL") else [])


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[MentionStore]:
    if request.param == "elasticsearch":
        pytest.fail("YUQING_TEST_ES_URL is set but the Elasticsearch backend is not implemented yet")
    backend = SqliteMentionStore(tmp_path / "mentions.sqlite3")
    yield backend
    backend.close()


POSTS = [
    NewMention(
        "baixing",
        "1",
        "http://b/1",
        "城关第一中学学生被殴打",
        "初二学生被围殴住院，县教育局请关注。",
        "家长",
        unit="county",
    ),
    NewMention("baixing", "2", "http://b/2", "学校乱收费资料费", "城关镇中心小学强制收取资料费两百元。", unit="county"),
    NewMention("tousu", "3", "http://t/3", "食堂饭菜变质", "县一中食堂午餐变质，学生呕吐。", unit="county"),
    NewMention("tousu", "4", "http://t/4", "感谢镇政府修好路灯", "工作人员认真负责，点赞。", unit="town"),
]


def analysis(level: int, label: str, schemes: list[str], unit: str | None = None) -> Analysis:
    return Analysis(
        tokens=["t"],
        sentiment=-0.5 if label == "negative" else 0.5,
        sentiment_label=label,  # type: ignore[arg-type]
        flags=[SchemeFlag(s, ["w"], [("title", 0)]) for s in schemes],
        level=level,
        unit=unit,
        explanation=["e"],
    )


def analysed(store: MentionStore) -> MentionStore:
    store.upsert_many(POSTS)
    store.save_analysis(
        [
            ("baixing:1", analysis(3, "negative", ["school-bullying"], "school-no1")),
            ("baixing:2", analysis(2, "negative", ["arbitrary-fees"])),
            ("tousu:3", analysis(3, "negative", ["school-food-safety", "school-bullying"])),
            ("tousu:4", analysis(0, "positive", [])),
        ]
    )
    return store


def test_upsert_is_idempotent(store: MentionStore) -> None:
    first = store.upsert_many(POSTS)
    assert sorted(first.created) == sorted(p.id for p in POSTS)
    second = store.upsert_many(POSTS)
    assert second.created == [] and second.updated == [] and sorted(second.unchanged) == sorted(p.id for p in POSTS)
    assert store.count() == 4


def test_edit_resets_analysis_and_keeps_discovery(store: MentionStore) -> None:
    analysed(store)
    before = store.get("baixing:1")
    assert before is not None and before.analysis is not None
    result = store.upsert_many([replace(POSTS[0], content="内容已修改：学生被打")])
    assert result.updated == ["baixing:1"]
    after = store.get("baixing:1")
    assert after is not None
    assert after.analysis is None and after.discovered_at == before.discovered_at
    assert after.content == "内容已修改：学生被打"
    assert [m.id for m in store.pending_analysis(10)] == ["baixing:1"]
    assert store.search(SearchQuery(text="修改")).total == 1  # the index follows the edit
    assert store.search(SearchQuery(text="围殴")).total == 0


def test_heat_updates_without_content_change(store: MentionStore) -> None:
    store.upsert_many([replace(POSTS[0], reply_count=1, view_count=10)])
    store.upsert_many([replace(POSTS[0], reply_count=5, view_count=99)])
    mention = store.get("baixing:1")
    assert mention is not None and (mention.reply_count, mention.view_count) == (5, 99)


def test_pending_backlog_and_analysis_sequence(store: MentionStore) -> None:
    store.upsert_many(POSTS)
    assert store.backlog() == 4
    assert [m.id for m in store.pending_analysis(2)] == ["baixing:1", "baixing:2"]  # oldest discovery first
    analysed(store)
    assert store.backlog() == 0
    seqs = [m.analysis_seq for m in store.analysed_since(0, limit=10)]
    assert seqs == sorted(seqs) and len(set(seqs)) == 4
    assert [m.id for m in store.analysed_since(seqs[1], limit=10)] == ["tousu:3", "tousu:4"]
    # An edited, re-analysed mention gets a new, higher number: a follower past the old ones still sees it.
    store.upsert_many([replace(POSTS[3], content="改过")])
    store.save_analysis([("tousu:4", analysis(1, "negative", []))])
    assert [m.id for m in store.analysed_since(seqs[-1], limit=10)] == ["tousu:4"]
    mention = store.get("tousu:4")
    assert mention is not None and mention.analysis is not None and mention.analysis.level == 1


def test_analysis_round_trip(store: MentionStore) -> None:
    analysed(store)
    mention = store.get("baixing:1")
    assert mention is not None and mention.analysis is not None
    assert mention.unit == "school-no1"  # analysis's unit replaces the source default
    assert mention.analysis.flags == [SchemeFlag("school-bullying", ["w"], [("title", 0)])]
    assert mention.analysis.schemes == ["school-bullying"]
    unattributed = store.get("baixing:2")
    assert unattributed is not None and unattributed.unit == "county"  # no unit found: the source's stays
    assert [m.id for m in store.get_many(["tousu:4", "nope", "baixing:1"])] == ["tousu:4", "baixing:1"]


SEARCHES = [
    (SearchQuery(text="殴打"), {"baixing:1"}),
    (SearchQuery(text="教育"), {"baixing:1"}),  # inside 教育局: search-mode tokens find the part
    (SearchQuery(text="学生 食堂"), {"tousu:3"}),
    (SearchQuery(sources=("tousu",)), {"tousu:3", "tousu:4"}),
    (SearchQuery(units=("school-no1",)), {"baixing:1"}),
    (SearchQuery(units=("town",)), {"tousu:4"}),
    (SearchQuery(sentiment_labels=("positive",)), {"tousu:4"}),
    (SearchQuery(schemes=("school-bullying",)), {"baixing:1", "tousu:3"}),
    (SearchQuery(schemes=("arbitrary-fees", "school-food-safety")), {"baixing:2", "tousu:3"}),
    (SearchQuery(min_level=3), {"baixing:1", "tousu:3"}),
    (SearchQuery(text="学生", min_level=3, sources=("baixing",)), {"baixing:1"}),
    (SearchQuery(since=datetime.now(UTC) + timedelta(hours=1)), set()),
    (SearchQuery(until=datetime.now(UTC) - timedelta(hours=1)), set()),
]


@pytest.mark.parametrize(("query", "expected"), SEARCHES)
def test_search_filters(store: MentionStore, query: SearchQuery, expected: set[str]) -> None:
    result = analysed(store).search(query)
    assert {m.id for m in result.hits} == expected
    assert result.total == len(expected)


@pytest.mark.parametrize(
    "text", ['"', "(", ")", "NOT", "AND OR", "*", "学生*", "<script>alert(1)</script>", "", "   ", "😀", "a:b", "^"]
)
def test_hostile_queries_never_raise(store: MentionStore, text: str) -> None:
    result = analysed(store).search(SearchQuery(text=text))
    assert result.total >= 0


def test_cursor_pages_through_everything_once(store: MentionStore) -> None:
    store.upsert_many([NewMention("s", str(i), f"http://s/{i}", f"投诉第{i}号", "学校乱收费") for i in range(55)])
    seen: list[str] = []
    cursor = None
    for _ in range(10):
        page = store.search(SearchQuery(text="乱收费", size=20, cursor=cursor))
        seen.extend(m.id for m in page.hits)
        if page.next_cursor is None:
            break
        store.upsert_many([NewMention("s", f"new{len(seen)}", "http://s/n", "新投诉", "学校乱收费")])  # no shift
        cursor = page.next_cursor
    # Newer posts arriving while paging do not shift the pages: the original 55, each exactly once.
    assert len(seen) == 55 and set(seen) == {f"s:{i}" for i in range(55)}
    relevance: list[str] = []
    cursor = None
    while True:
        page = store.search(SearchQuery(text="投诉", sort="relevance", size=7, cursor=cursor))
        relevance.extend(m.id for m in page.hits)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert len(relevance) == len(set(relevance)) == page.total


@pytest.mark.parametrize("cursor", ["garbage", "W10", "WzEsMiwzXQ", "eyJhIjoxfQ"])
def test_invalid_cursor(store: MentionStore, cursor: str) -> None:
    with pytest.raises(ValueError, match="invalid cursor"):
        analysed(store).search(SearchQuery(cursor=cursor))


def test_aggregations_cover_all_matches(store: MentionStore) -> None:
    result = analysed(store).search(
        SearchQuery(
            size=1,
            aggs=(
                DateHistogram("by_day", "discovered_at", "day"),
                DateHistogram("by_hour", "discovered_at", "hour"),
                Terms("sources", "source"),
                Terms("schemes", "schemes"),
                Terms("levels", "level"),
                Terms("sentiment", "sentiment_label"),
                Terms("units", "unit", size=1),
            ),
        )
    )
    aggs = {name: {b.key: b.count for b in buckets} for name, buckets in result.aggregations.items()}
    assert sum(aggs["by_day"].values()) == 4 and sum(aggs["by_hour"].values()) == 4
    day = next(iter(aggs["by_day"]))
    assert datetime.fromisoformat(day).hour == 0
    assert aggs["sources"] == {"baixing": 2, "tousu": 2}
    assert aggs["schemes"] == {"school-bullying": 2, "arbitrary-fees": 1, "school-food-safety": 1}
    assert aggs["levels"] == {"3": 2, "2": 1, "0": 1}
    assert aggs["sentiment"] == {"negative": 3, "positive": 1}
    assert aggs["units"] == {"county": 2}  # top 1


def test_size_is_bounded(store: MentionStore) -> None:
    for size in (0, 1001):
        with pytest.raises(ValueError):
            store.search(SearchQuery(size=size))


def test_reopened_store_keeps_everything(tmp_path: Path) -> None:
    first = SqliteMentionStore(tmp_path / "m.sqlite3")
    analysed(first)
    first.close()
    again = SqliteMentionStore(tmp_path / "m.sqlite3")
    assert again.count() == 4 and again.backlog() == 0
    assert again.search(SearchQuery(text="殴打")).total == 1
    again.save_analysis([("tousu:4", analysis(1, "negative", []))])
    assert max(m.analysis_seq or 0 for m in again.analysed_since(0, limit=10)) == 5  # the counter survived
    again.close()


def test_concurrent_threads(store: MentionStore) -> None:
    errors: list[BaseException] = []

    def write(prefix: str) -> None:
        try:
            for i in range(40):
                store.upsert_many([NewMention("s", f"{prefix}{i}", "http://x", f"标题{i}", "学校食堂")])
                store.search(SearchQuery(text="食堂", size=5))
        except BaseException as exc:  # collected for the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(p,)) for p in "abc"]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and store.count() == 120


def _write_from_process(path: str, count: int) -> None:
    other = SqliteMentionStore(Path(path))
    for i in range(count):
        other.upsert_many([NewMention("proc", str(i), "http://x", f"进程写入{i}", "路灯不亮")])
    other.close()


def test_another_process_writes_while_this_one_reads(tmp_path: Path) -> None:
    path = tmp_path / "shared.sqlite3"
    reader = SqliteMentionStore(path)
    process = multiprocessing.get_context("spawn").Process(target=_write_from_process, args=(str(path), 200))
    process.start()
    while process.is_alive():
        reader.search(SearchQuery(text="路灯", size=5))
        reader.count()
    process.join()
    assert process.exitcode == 0
    assert reader.count() == 200
    reader.close()


def test_discovery_and_analysis_time_can_be_given(store: MentionStore) -> None:
    at = datetime(2026, 3, 5, 6, 20, tzinfo=UTC)
    store.upsert_many(POSTS[:1], now=at)
    store.upsert_many([replace(POSTS[0], content="改")], now=at + timedelta(hours=1))  # an edit keeps discovery
    store.save_analysis([("baixing:1", analysis(3, "negative", []))], now=at + timedelta(hours=2))
    mention = store.get("baixing:1")
    assert mention is not None
    assert mention.discovered_at == at and mention.updated_at == at + timedelta(hours=1)
    assert mention.analysed_at == at + timedelta(hours=2)
