"""The mention-store contract. Every backend must pass it: the embedded SQLite store always, Elasticsearch
when YUQING_TEST_ES_URL is set (e.g. http://elastic:PASSWORD@127.0.0.1:9200 — each test makes indices of its
own under a random prefix and deletes them).

The data are complaint-board posts of the kind the service watches: fees, school canteens, bullying.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Literal

import pytest

import textquery
from store.mentions import (
    Analysis,
    CountUpdate,
    DateHistogram,
    Mention,
    MentionStore,
    NewMention,
    OfficialReply,
    SchemeFlag,
    SearchQuery,
    SearchResult,
    Terms,
)
from store.mentions.sqlite import SqliteMentionStore
from store.mentions.textsearch import UnsupportedQuery

REPO = Path(__file__).resolve().parents[2]
# Elasticsearch is always a parameter: without YUQING_TEST_ES_URL its tests are skipped with the reason.
BACKENDS = ["sqlite", "elasticsearch"]
T0 = datetime(2026, 3, 5, 8, 10, tzinfo=UTC)  # discovery time of the first post
CST = timezone(timedelta(hours=8))

OpenStore = Callable[[], MentionStore]


@pytest.fixture(params=BACKENDS)
def open_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[OpenStore]:
    """Opens the backend on the same storage each time it is called, as a restarted process would."""
    opened: list[MentionStore] = []
    if request.param == "elasticsearch":
        from store.mentions.elastic import ElasticMentionStore, ElasticOptions

        node = request.getfixturevalue("usable_es_node")
        # Indices of their own for each test (the prefix), removed afterwards; one node: no replicas. Each write
        # refreshes at once instead of waiting for the index's next 1 s refresh: the same visibility, a fiftieth
        # of the time (the default, "wait_for", is what test_elasticsearch_node.py writes with).
        options = ElasticOptions(
            url=node.url, index_prefix=f"yuqing-test-{uuid.uuid4().hex[:12]}", replicas=0, refresh="true"
        )

        def open_() -> MentionStore:
            store = ElasticMentionStore(options)
            opened.append(store)
            return store

    else:

        def open_() -> MentionStore:
            store = SqliteMentionStore(tmp_path / "mentions.sqlite3")
            opened.append(store)
            return store

    yield open_
    if request.param == "elasticsearch":
        _drop_elasticsearch_indices(options)
    for store in opened:
        store.close()


def _drop_elasticsearch_indices(options: Any) -> None:
    from store.mentions.elastic import ElasticMentionStore

    store = ElasticMentionStore(options)
    try:
        prefix = options.index_prefix
        # By name: clusters refuse wildcard deletes by default (action.destructive_requires_name).
        names = list(store.client.options(ignore_status=404).indices.get(index=f"{prefix}-*", expand_wildcards="all"))
        if names:
            store.client.indices.delete(index=",".join(names))
        store.client.options(ignore_status=404).indices.delete_index_template(name=f"{prefix}-mentions")
        if store.ilm:  # a cluster without ILM has no policy to delete
            store.client.options(ignore_status=404).ilm.delete_lifecycle(name=f"{prefix}-mentions")
    finally:
        store.close()


@pytest.fixture
def mention_store(open_store: OpenStore) -> MentionStore:
    return open_store()


# --- data ---------------------------------------------------------------------------------------------------

FEES = NewMention(
    "baixing",
    "1001",
    "http://baixing.example/t/1001",
    "县教育局对城关一中乱收费不作为",
    "城关一中以资料费名义每生收取300元，家长多次向县教育局反映，至今无人回复。",
    author="一位家长",
    published_at=datetime(2026, 3, 5, 15, 0, tzinfo=CST),
    reply_count=3,
    view_count=120,
    unit="county-edu",
)
CANTEEN = NewMention(
    "baixing",
    "1002",
    "http://baixing.example/t/1002",
    "城关一中食堂饭菜发霉",
    "孩子说食堂的米饭有霉味，已经有三个学生拉肚子，希望学校重视。",
    published_at=datetime(2026, 3, 5, 16, 30, tzinfo=CST),
    unit="county-edu",
)
BULLYING = NewMention(
    "tousu",
    "2001",
    "http://tousu.example/c/2001",
    "校园欺凌无人管",
    "初二学生在宿舍被高年级同学欺凌，班主任说只是同学打闹。",
    published_at=datetime(2026, 3, 5, 1, 0, tzinfo=UTC),
    unit="county-edu",
)
THANKS = NewMention(
    "tousu",
    "2002",
    "http://tousu.example/c/2002",
    "感谢城关镇政府修好路灯",
    "幸福路的路灯修好了，晚上回家安全多了，通过ＡＰＰ反映后第二天就有人来修，点赞！",
    unit="town-gov",
)
TUTORING = NewMention(
    "weibo",
    "3001",
    "http://weibo.example/p/3001",
    "县一中暑假补课收费",
    "暑假强制补课，每人收费800元，不交就不让进教室。",
    unit="county-edu",
)
POSTS = [FEES, CANTEEN, BULLYING, THANKS, TUTORING]
# Discovery: three posts on 5 March (two in the 08:00 hour, one at 09:05), two on 6 March at 10:00.
DISCOVERED = {
    FEES.id: T0,
    CANTEEN.id: T0 + timedelta(minutes=30),
    BULLYING.id: T0 + timedelta(minutes=55),
    THANKS.id: T0 + timedelta(days=1, hours=1, minutes=50),
    TUTORING.id: T0 + timedelta(days=1, hours=1, minutes=50),
}


def analysis(
    level: int,
    label: Literal["negative", "neutral", "positive"],
    schemes: list[str],
    unit: str | None = None,
    event_id: str | None = None,
    post_type: str | None = "投诉",
) -> Analysis:
    return Analysis(
        tokens=["测试", "词"],
        sentiment={"negative": -0.6, "neutral": 0.0, "positive": 0.7}[label],
        sentiment_label=label,
        flags=[SchemeFlag(s, ["收费"], [("title", 3), ("content", 10)]) for s in schemes],
        level=level,
        unit=unit,
        explanation=[f"级别 {level}"],
        event_id=event_id,
        post_type=post_type,
    )


ANALYSES = [
    (FEES.id, analysis(2, "negative", ["arbitrary-fees"], unit="no1-middle", event_id="evt-1")),
    (CANTEEN.id, analysis(3, "negative", ["food-safety"], post_type="求助")),  # no unit found: the crawler's stays
    (BULLYING.id, analysis(3, "negative", ["bullying"], unit="no1-middle", post_type="举报")),
    (THANKS.id, analysis(0, "positive", [], post_type="表扬")),
    (TUTORING.id, analysis(1, "neutral", ["arbitrary-fees"])),
]


def crawled(store: MentionStore) -> MentionStore:
    for post in POSTS:
        store.upsert_many([post], now=DISCOVERED[post.id])
    return store


def analysed(store: MentionStore) -> MentionStore:
    crawled(store).save_analysis(ANALYSES, now=T0 + timedelta(days=2))
    return store


def ids(found: SearchResult | Iterable[Mention]) -> list[str]:
    """The ids of a search's hits, or of a list of mentions, in order."""
    return [m.id for m in (found.hits if isinstance(found, SearchResult) else found)]


# --- writing ------------------------------------------------------------------------------------------------


def test_upsert_is_idempotent(mention_store: MentionStore) -> None:
    first = mention_store.upsert_many(POSTS)
    assert first.created == [p.id for p in POSTS] and first.updated == first.unchanged == []
    second = mention_store.upsert_many(POSTS)
    assert second.created == second.updated == [] and second.unchanged == [p.id for p in POSTS]
    assert mention_store.count() == 5


def test_stored_mention_round_trips(mention_store: MentionStore) -> None:
    crawled(mention_store)
    m = mention_store.get(FEES.id)
    assert m is not None
    assert (m.source, m.post_id, m.url, m.title, m.content, m.author) == (
        "baixing",
        "1001",
        FEES.url,
        FEES.title,
        FEES.content,
        "一位家长",
    )
    assert (m.reply_count, m.view_count, m.unit) == (3, 120, "county-edu")
    assert m.published_at == datetime(2026, 3, 5, 7, 0, tzinfo=UTC)  # +08:00 in, the same instant out
    assert m.published_at is not None and m.published_at.utcoffset() == timedelta(0)
    assert m.discovered_at == m.updated_at == T0 and m.discovered_at.tzinfo is not None
    assert len(m.content_hash) == 64 and m.analysis is None and m.analysed_at is None
    tutoring = mention_store.get(TUTORING.id)
    assert tutoring is not None and tutoring.published_at is None and tutoring.author is None
    assert mention_store.get("baixing:nope") is None


def test_get_many_keeps_the_requested_order_and_skips_missing(mention_store: MentionStore) -> None:
    crawled(mention_store)
    found = mention_store.get_many([TUTORING.id, "nope:1", FEES.id, BULLYING.id])
    assert ids(found) == [TUTORING.id, FEES.id, BULLYING.id]
    assert mention_store.get_many([]) == []


def test_naive_times_are_refused(mention_store: MentionStore) -> None:
    with pytest.raises(ValueError):
        mention_store.upsert_many([replace(FEES, published_at=datetime(2026, 3, 5, 8, 0))])
    assert mention_store.count() == 0  # the batch is all or nothing


def test_the_same_post_twice_in_one_batch_is_stored_once(mention_store: MentionStore) -> None:
    edited = replace(FEES, content="城关一中乱收费，已退款。")
    result = mention_store.upsert_many([FEES, edited])
    assert result.created == [FEES.id] and result.updated == result.unchanged == []
    stored = mention_store.get(FEES.id)
    assert mention_store.count() == 1 and stored is not None and stored.content == edited.content


def test_edit_resets_analysis_keeps_discovery_and_reindexes(mention_store: MentionStore) -> None:
    analysed(mention_store)
    before = mention_store.get(BULLYING.id)
    assert before is not None and before.analysis is not None
    later = T0 + timedelta(days=3)
    edited = replace(BULLYING, content="初二学生被同学打伤住院，学校至今没有处理。")
    result = mention_store.upsert_many([edited], now=later)
    assert result.updated == [BULLYING.id] and result.created == result.unchanged == []
    after = mention_store.get(BULLYING.id)
    assert after is not None and after.content == edited.content
    assert after.discovered_at == before.discovered_at and after.updated_at == later
    assert after.analysis is None and after.analysed_at is None and after.analysis_seq is None
    assert after.content_hash != before.content_hash
    assert after.unit == "county-edu"  # the analysis's unit went with the analysis
    assert ids(mention_store.pending_analysis(10)) == [BULLYING.id] and mention_store.backlog() == 1
    assert ids(mention_store.search(SearchQuery(text="住院"))) == [BULLYING.id]  # the index follows the edit
    assert mention_store.search(SearchQuery(text="宿舍")).total == 0  # no stale words
    assert mention_store.search(SearchQuery(schemes=("bullying",))).total == 0  # nor stale schemes
    assert mention_store.search(SearchQuery(post_types=("举报",))).total == 0  # nor a stale post type
    assert mention_store.count() == 5


def test_whitespace_and_width_are_not_an_edit(mention_store: MentionStore) -> None:
    mention_store.upsert_many([THANKS])
    same = replace(THANKS, content="  " + THANKS.content.replace("ＡＰＰ", "APP") + "\n")
    assert mention_store.upsert_many([same]).unchanged == [THANKS.id]


def test_heat_updates_without_content_change(mention_store: MentionStore) -> None:
    analysed(mention_store)
    result = mention_store.upsert_many([replace(FEES, reply_count=15, view_count=900)])
    assert result.unchanged == [FEES.id]
    m = mention_store.get(FEES.id)
    assert m is not None and (m.reply_count, m.view_count) == (15, 900)
    assert m.analysis is not None and m.updated_at == T0  # the analysis stays valid
    mention_store.upsert_many([replace(FEES, reply_count=None, view_count=None)])  # not known this time
    m = mention_store.get(FEES.id)
    assert m is not None and (m.reply_count, m.view_count) == (15, 900)


def test_votes_are_kept_and_updated_like_replies(mention_store: MentionStore) -> None:
    mention_store.upsert_many([replace(FEES, up_votes=12, down_votes=1)])
    m = mention_store.get(FEES.id)
    assert m is not None and (m.up_votes, m.down_votes) == (12, 1)
    assert mention_store.upsert_many([replace(FEES, up_votes=40, down_votes=None)]).unchanged == [FEES.id]
    m = mention_store.get(FEES.id)
    assert m is not None and (m.up_votes, m.down_votes) == (40, 1)  # a page without 反对 keeps the last known
    edited = replace(FEES, content=FEES.content + "今天又收了一次。", up_votes=None)
    assert mention_store.upsert_many([edited]).updated == [FEES.id]
    m = mention_store.get(FEES.id)
    assert m is not None and (m.up_votes, m.down_votes) == (40, 1)
    assert mention_store.record_counts([CountUpdate(FEES.id, None, None, up_votes=41)]) == 1
    assert mention_store.record_counts([CountUpdate(FEES.id, None, None, up_votes=41)]) == 0
    m = mention_store.get(FEES.id)
    assert m is not None and (m.up_votes, m.down_votes) == (41, 1)
    mention_store.upsert_many([CANTEEN])
    m = mention_store.get(CANTEEN.id)
    assert m is not None and (m.up_votes, m.down_votes) == (None, None)  # a board without votes


# --- analysis -----------------------------------------------------------------------------------------------


def test_pending_backlog_and_analysis_sequence(mention_store: MentionStore) -> None:
    crawled(mention_store)
    assert mention_store.backlog() == 5
    assert ids(mention_store.pending_analysis(2)) == [FEES.id, CANTEEN.id]  # oldest discovery first
    assert ids(mention_store.pending_analysis(10)) == [p.id for p in POSTS]
    # The analysis job's lane for fresh posts: the same pending mentions, newest discovery first.
    assert ids(mention_store.pending_analysis(2, newest_first=True)) == [p.id for p in POSTS][::-1][:2]
    assert ids(mention_store.pending_analysis(10, newest_first=True)) == [p.id for p in POSTS][::-1]
    mention_store.save_analysis(ANALYSES[:2])
    assert mention_store.backlog() == 3 and ids(mention_store.pending_analysis(1)) == [BULLYING.id]
    mention_store.save_analysis(ANALYSES[2:])
    assert mention_store.backlog() == 0 and mention_store.pending_analysis(10) == []

    followed = mention_store.analysed_since(0, limit=10)
    assert ids(followed) == [p.id for p in POSTS]
    seqs = [m.analysis_seq or 0 for m in followed]
    assert seqs == sorted(seqs) and len(set(seqs)) == 5 and min(seqs) > 0
    assert ids(mention_store.analysed_since(seqs[1], limit=2)) == [BULLYING.id, THANKS.id]
    assert mention_store.analysed_since(seqs[-1], limit=10) == []

    # Re-saving replaces the analysis and hands out a new, higher number: a follower past the old ones sees it.
    mention_store.save_analysis([(FEES.id, analysis(3, "negative", ["bullying"]))])
    assert ids(mention_store.analysed_since(seqs[-1], limit=10)) == [FEES.id]
    m = mention_store.get(FEES.id)
    assert m is not None and m.analysis is not None
    assert m.analysis.schemes == ["bullying"] and m.analysis.level == 3 and m.unit == "county-edu"
    assert mention_store.search(SearchQuery(schemes=("arbitrary-fees",))).total == 1  # only TUTORING now


def test_reanalysis_queues_a_period_behind_new_posts_and_keeps_the_old_analysis(mention_store: MentionStore) -> None:
    analysed(mention_store)
    since = DISCOVERED[CANTEEN.id]
    until = DISCOVERED[THANKS.id]
    queued = mention_store.request_reanalysis(since=since, until=until)
    window = [p.id for p in POSTS if since <= DISCOVERED[p.id] < until]
    assert queued == len(window) >= 2 and mention_store.backlog() == len(window)
    m = mention_store.get(window[0])
    assert m is not None and m.analysis is not None and m.analysed_at is None  # still shows the old analysis
    assert mention_store.search(SearchQuery(schemes=("food-safety",))).total == 1
    new = replace(FEES, post_id="new-1", url="http://board/new-1")
    mention_store.upsert_many([new], now=T0 + timedelta(days=9))
    assert ids(mention_store.pending_analysis(10)) == [new.id, *window]  # new posts before the re-analysis
    mention_store.save_analysis([(i, analysis(0, "neutral", [])) for i in window])
    assert mention_store.search(SearchQuery(schemes=("food-safety",))).total == 0
    assert mention_store.request_reanalysis() == 5  # everything analysed; the new post is still pending
    assert mention_store.request_reanalysis() == 0


def test_reanalysis_fills_the_post_type_of_mentions_analysed_before_it_was_kept(mention_store: MentionStore) -> None:
    crawled(mention_store)
    # As an analysis from before post types were kept reads back: no type, so no type filter finds it.
    mention_store.save_analysis([(p.id, analysis(1, "negative", [], post_type=None)) for p in POSTS])
    old = mention_store.get(THANKS.id)
    assert old is not None and old.analysis is not None and old.analysis.post_type is None
    assert mention_store.search(SearchQuery(post_types=("表扬",))).total == 0
    assert mention_store.request_reanalysis() == 5
    again = [(m.id, dict(ANALYSES)[m.id]) for m in mention_store.pending_analysis(10)]
    mention_store.save_analysis(again)
    assert ids(mention_store.search(SearchQuery(post_types=("表扬",)))) == [THANKS.id]
    refreshed = mention_store.get(THANKS.id)
    assert refreshed is not None and refreshed.analysis is not None and refreshed.analysis.post_type == "表扬"
    assert mention_store.backlog() == 0


def test_an_edited_mention_after_the_highest_number_is_still_followed(mention_store: MentionStore) -> None:
    analysed(mention_store)
    last = max(m.analysis_seq or 0 for m in mention_store.analysed_since(0, limit=10))
    mention_store.upsert_many([replace(TUTORING, content="补课收费已叫停")])  # held the highest number
    mention_store.save_analysis([(TUTORING.id, analysis(1, "neutral", []))])
    assert ids(mention_store.analysed_since(last, limit=10)) == [TUTORING.id]


def test_analysis_round_trips(mention_store: MentionStore) -> None:
    analysed(mention_store)
    m = mention_store.get(FEES.id)
    assert m is not None and m.analysis is not None
    assert m.analysed_at == T0 + timedelta(days=2)
    assert m.unit == "no1-middle"  # the analysis's unit replaces the source default
    assert m.analysis == ANALYSES[0][1]
    assert m.analysis.flags[0].positions == [("title", 3), ("content", 10)]
    canteen = mention_store.get(CANTEEN.id)
    assert canteen is not None and canteen.unit == "county-edu" and canteen.analysis is not None
    assert canteen.analysis.unit is None


def test_analysis_of_an_unknown_mention_is_dropped(mention_store: MentionStore) -> None:
    crawled(mention_store)
    mention_store.save_analysis([("nope:1", ANALYSES[0][1]), ANALYSES[1]])
    assert ids(mention_store.analysed_since(0, limit=10)) == [CANTEEN.id]


# --- search -------------------------------------------------------------------------------------------------

ALL = {p.id for p in POSTS}
SEARCHES: list[tuple[str, SearchQuery, set[str]]] = [
    ("word", SearchQuery(text="食堂"), {CANTEEN.id}),
    ("search-mode part of 教育局", SearchQuery(text="教育"), {FEES.id}),
    ("unit name", SearchQuery(text="县教育局"), {FEES.id}),
    ("all words required", SearchQuery(text="学生 食堂"), {CANTEEN.id}),
    ("compound word", SearchQuery(text="乱收费"), {FEES.id}),
    ("shared word", SearchQuery(text="收费"), {FEES.id, TUTORING.id}),
    ("longer word narrows", SearchQuery(text="县一中"), {TUTORING.id}),
    ("full-width matches half-width", SearchQuery(text="app"), {THANKS.id}),
    ("half-width query, full-width text", SearchQuery(text="ＡＰＰ"), {THANKS.id}),
    ("no such word", SearchQuery(text="高铁"), set()),
    ("blank text is no text filter", SearchQuery(text="  "), ALL),
    ("one source", SearchQuery(sources=("tousu",)), {BULLYING.id, THANKS.id}),
    ("two sources", SearchQuery(sources=("tousu", "weibo")), {BULLYING.id, THANKS.id, TUTORING.id}),
    ("unit from analysis", SearchQuery(units=("no1-middle",)), {FEES.id, BULLYING.id}),
    ("unit from crawler", SearchQuery(units=("county-edu",)), {CANTEEN.id, TUTORING.id}),
    ("sentiment", SearchQuery(sentiment_labels=("positive",)), {THANKS.id}),
    ("sentiments", SearchQuery(sentiment_labels=("negative", "neutral")), ALL - {THANKS.id}),
    ("scheme", SearchQuery(schemes=("arbitrary-fees",)), {FEES.id, TUTORING.id}),
    ("any of schemes", SearchQuery(schemes=("bullying", "food-safety")), {CANTEEN.id, BULLYING.id}),
    ("min level", SearchQuery(min_level=3), {CANTEEN.id, BULLYING.id}),
    ("min level 0", SearchQuery(min_level=0), ALL),
    ("post type", SearchQuery(post_types=("投诉",)), {FEES.id, TUTORING.id}),
    ("any of post types", SearchQuery(post_types=("表扬", "求助")), {CANTEEN.id, THANKS.id}),
    ("post type no post has", SearchQuery(post_types=("咨询",)), set()),
    ("post type and words", SearchQuery(text="学生", post_types=("举报", "求助")), {CANTEEN.id, BULLYING.id}),
    ("post type, words and level", SearchQuery(text="收费", post_types=("投诉",), min_level=2), {FEES.id}),
    ("since, inclusive", SearchQuery(since=DISCOVERED[BULLYING.id]), {BULLYING.id, THANKS.id, TUTORING.id}),
    ("until, exclusive", SearchQuery(until=DISCOVERED[BULLYING.id]), {FEES.id, CANTEEN.id}),
    (
        "since and until in another zone",
        SearchQuery(since=T0.astimezone(CST) + timedelta(minutes=1), until=T0 + timedelta(hours=1)),
        {CANTEEN.id, BULLYING.id},
    ),
    ("words and filters", SearchQuery(text="学生", min_level=3, sources=("tousu",)), {BULLYING.id}),
    ("filters exclude each other", SearchQuery(sources=("weibo",), units=("town-gov",)), set()),
]


@pytest.mark.parametrize(("query", "expected"), [s[1:] for s in SEARCHES], ids=[s[0] for s in SEARCHES])
def test_search_filters(mention_store: MentionStore, query: SearchQuery, expected: set[str]) -> None:
    result = analysed(mention_store).search(query)
    assert set(ids(result)) == expected
    assert result.total == len(expected) and result.next_cursor is None


def test_unanalysed_mentions_have_no_level(mention_store: MentionStore) -> None:
    crawled(mention_store)
    assert mention_store.search(SearchQuery(min_level=0)).total == 0
    assert mention_store.search(SearchQuery(post_types=("投诉", "其他"))).total == 0
    assert mention_store.search(SearchQuery(text="食堂")).total == 1  # searchable before analysis


def test_time_sort_is_newest_first_then_id(mention_store: MentionStore) -> None:
    result = analysed(mention_store).search(SearchQuery())
    # THANKS and TUTORING were found at the same moment: the id breaks the tie, descending.
    assert ids(result) == [TUTORING.id, THANKS.id, BULLYING.id, CANTEEN.id, FEES.id]


def test_relevance_ranks_the_title_match_first(mention_store: MentionStore) -> None:
    title = NewMention("s", "title", "http://s/2", "食堂卫生差，食堂饭菜发霉", "请学校检查食堂。")
    body = NewMention("s", "body", "http://s/1", "家长来信", "上周反映的问题很多，其中提到食堂卫生一般。" * 3)
    mention_store.upsert_many([title], now=T0)
    mention_store.upsert_many([body], now=T0 + timedelta(hours=1))  # newer: first by time, not by relevance
    assert ids(mention_store.search(SearchQuery(text="食堂"))) == ["s:body", "s:title"]
    assert ids(mention_store.search(SearchQuery(text="食堂", sort="relevance"))) == ["s:title", "s:body"]
    # Without words there is nothing to rank by: newest first.
    assert ids(mention_store.search(SearchQuery(sort="relevance"))) == ["s:body", "s:title"]


def test_result_carries_the_analysis(mention_store: MentionStore) -> None:
    hit = analysed(mention_store).search(SearchQuery(text="乱收费")).hits[0]
    assert hit.analysis == ANALYSES[0][1] and hit.analysis_seq is not None


HOSTILE: list[tuple[str, int | type[ValueError]]] = [  # text, expected total over the five posts or the error
    ('"', textquery.QuerySyntaxError),  # the analysts' language: a syntax error names its position
    ("(", textquery.QuerySyntaxError),
    (")", textquery.QuerySyntaxError),
    ("NOT", textquery.QuerySyntaxError),
    ("AND OR", textquery.QuerySyntaxError),
    ("'; DROP TABLE mentions; --", textquery.QuerySyntaxError),
    ("-食堂", UnsupportedQuery),  # NOT alone: nothing to take away from
    ("*", 0),
    ("食堂*", 1),
    ("NEAR(学生 食堂)", 0),  # no FTS5 syntax: "near" is a word to find, and no post has it
    ("title:食堂", 0),
    ("{title}: 食堂", 0),  # no column filters: "title" is a word to find, and no post has it
    ("^食堂", 1),
    ("<script>alert(1)</script>", 0),
    ("\x00食堂", 1),
    ("", 5),  # no text: every post
    ("   \n\t", 5),
    ("😀", 0),  # only symbols: nothing to look for, nothing found
    ("！？。，", 0),
    ("食堂" * 2000, textquery.QuerySyntaxError),  # longer than a query may be
    ("食堂 " * 200, 1),
    ('"食堂"', 1),
]


@pytest.mark.parametrize(("text", "total"), HOSTILE, ids=[repr(h[0][:20]) for h in HOSTILE])
def test_hostile_queries_never_raise_anything_but_a_clear_error(
    mention_store: MentionStore, text: str, total: int | type[ValueError]
) -> None:
    store = analysed(mention_store)
    if not isinstance(total, int):
        with pytest.raises(total):
            store.search(SearchQuery(text=text))
        return
    result = store.search(SearchQuery(text=text, aggs=(Terms("sources", "source"),)))
    assert result.total == total == len(result.hits)
    assert sum(b.count for b in result.aggregations["sources"]) == total
    assert mention_store.count() == 5
    relevance = mention_store.search(SearchQuery(text=text, sort="relevance"))
    assert relevance.total == total


BOOLEAN: list[tuple[str, set[str]]] = [  # the analysts' query over the five posts: the ids it finds
    ("食堂 OR 欺凌", {CANTEEN.id, BULLYING.id}),
    ("食堂 | 欺凌 | 路灯", {CANTEEN.id, BULLYING.id, THANKS.id}),
    ("城关一中", {FEES.id, CANTEEN.id}),
    ("城关一中 NOT 食堂", {FEES.id}),
    ("城关一中 -食堂", {FEES.id}),
    ("城关一中 AND NOT (食堂 OR 资料费)", set()),
    ("(补课 OR 资料费) 收费", {TUTORING.id, FEES.id}),  # 乱收费 holds 收费
    ("(补课 OR 资料费) AND 城关一中", {FEES.id}),
    ("（补课 OR 食堂）NOT 暑假", {CANTEEN.id}),  # full-width parentheses
    ('"县教育局" OR 欺凌', {FEES.id, BULLYING.id}),
    ("学生 NOT 食堂 NOT 宿舍", set()),
    ("学生 NOT NOT 宿舍", {BULLYING.id}),
    ("路灯 OR 😀", {THANKS.id}),  # a term with nothing to find drops out of an OR
]


@pytest.mark.parametrize(("text", "expected"), BOOLEAN, ids=[b[0] for b in BOOLEAN])
def test_boolean_queries(mention_store: MentionStore, text: str, expected: set[str]) -> None:
    store = analysed(mention_store)
    for sort in ("time", "relevance"):
        result = store.search(SearchQuery(text=text, sort=sort, aggs=(Terms("sources", "source"),)))
        assert {m.id for m in result.hits} == expected and result.total == len(expected), sort
        assert sum(b.count for b in result.aggregations["sources"]) == len(expected)


def test_sort_by_heat_pages_the_hottest_first(mention_store: MentionStore) -> None:
    store = analysed(mention_store)
    store.record_counts([CountUpdate(CANTEEN.id, 50, 10), CountUpdate(BULLYING.id, 0, 900)])
    # heat = replies × 10 + views: BULLYING 900, CANTEEN 510, FEES 150 (3 replies, 120 views), the rest 0 by time
    expected = [BULLYING.id, CANTEEN.id, FEES.id, TUTORING.id, THANKS.id]
    pages = _page_through(store, SearchQuery(sort="heat", size=2), lambda _turn: None)
    assert [i for page in pages for i in page] == expected
    assert ids(store.search(SearchQuery(text="城关一中", sort="heat"))) == [CANTEEN.id, FEES.id]
    worded = _page_through(store, SearchQuery(text="城关一中 OR 欺凌", sort="heat", size=1), lambda _turn: None)
    assert [i for page in worded for i in page] == [BULLYING.id, CANTEEN.id, FEES.id]
    with pytest.raises(ValueError, match="invalid cursor"):
        first = store.search(SearchQuery(sort="time", size=1))
        store.search(SearchQuery(sort="heat", size=1, cursor=first.next_cursor))


def test_votes_are_heat_in_the_heat_sort(mention_store: MentionStore) -> None:
    store = analysed(mention_store)
    # FEES: 3 replies, 120 views = 150; TUTORING: 25 votes for and 6 against × 5 = 155
    store.record_counts([CountUpdate(TUTORING.id, None, None, up_votes=25, down_votes=6)])
    assert ids(store.search(SearchQuery(sort="heat", size=2))) == [TUTORING.id, FEES.id]


def test_filter_by_event(mention_store: MentionStore) -> None:
    store = analysed(mention_store)
    assert ids(store.search(SearchQuery(events=("evt-1",)))) == [FEES.id]
    assert ids(store.search(SearchQuery(events=("evt-1", "nope"), text="食堂"))) == []
    assert store.search(SearchQuery(events=("nope",))).total == 0


@pytest.mark.parametrize("text", ["NOT 食堂", "食堂 OR NOT 欺凌", "-食堂 -欺凌"])
def test_queries_that_only_subtract_are_refused(mention_store: MentionStore, text: str) -> None:
    with pytest.raises(UnsupportedQuery) as caught:
        analysed(mention_store).search(SearchQuery(text=text))
    assert "NOT" in str(caught.value) and "NOT" in caught.value.zh


def _page_through(store: MentionStore, query: SearchQuery, between: Callable[[int], None]) -> list[list[str]]:
    pages: list[list[str]] = []
    cursor = None
    for turn in range(20):
        page = store.search(replace(query, cursor=cursor))
        pages.append(ids(page))
        if page.next_cursor is None:
            return pages
        between(turn)
        cursor = page.next_cursor
    raise AssertionError("paging did not end")


def _complaints(count: int, *, prefix: str = "") -> list[NewMention]:
    return [
        NewMention("tousu", f"{prefix}{i}", f"http://t/{prefix}{i}", f"乱收费投诉第{i}号", "学校乱收费，请教育局调查。")
        for i in range(count)
    ]


def test_cursor_pages_through_everything_once(mention_store: MentionStore) -> None:
    posts = _complaints(55)
    for start in range(0, 55, 10):  # batches share a discovery time: ties broken by id across pages
        mention_store.upsert_many(posts[start : start + 10], now=T0 + timedelta(minutes=start))
    late = iter(range(100))

    def new_posts_arrive(_turn: int) -> None:  # newer posts sort before the cursor: they shift nothing
        mention_store.upsert_many(_complaints(3, prefix=f"late{next(late)}-"), now=T0 + timedelta(days=1))

    pages = _page_through(mention_store, SearchQuery(text="乱收费", size=20), new_posts_arrive)
    assert [len(p) for p in pages] == [20, 20, 15]
    seen = [i for page in pages for i in page]
    assert sorted(seen) == sorted(p.id for p in posts)
    assert len(seen) == len(set(seen)) == 55  # each exactly once
    times = [m.discovered_at for m in mention_store.get_many(seen)]
    assert times == sorted(times, reverse=True)


def test_cursor_with_filters_and_exact_last_page(mention_store: MentionStore) -> None:
    mention_store.upsert_many(_complaints(40), now=T0)
    mention_store.upsert_many([replace(p, source="weibo") for p in _complaints(5, prefix="w")], now=T0)
    pages = _page_through(mention_store, SearchQuery(sources=("tousu",), size=20), lambda _: None)
    assert [len(p) for p in pages] == [20, 20]  # a full last page has no next cursor
    assert len({i for p in pages for i in p}) == 40


def test_relevance_cursor_pages_through_everything_once(mention_store: MentionStore) -> None:
    dense = [replace(p, post_id=f"x{p.post_id}", content="乱收费乱收费，学校乱收费。") for p in _complaints(12)]
    mention_store.upsert_many(dense, now=T0)  # older, so last by time
    mention_store.upsert_many(_complaints(30), now=T0 + timedelta(hours=1))
    pages = _page_through(mention_store, SearchQuery(text="乱收费", sort="relevance", size=7), lambda _: None)
    seen = [i for page in pages for i in page]
    assert len(seen) == len(set(seen)) == 42
    assert set(seen[:12]) == {f"tousu:x{i}" for i in range(12)}  # the denser posts first


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


INVALID_CURSORS = [
    "garbage!!",
    "☃",
    "W10",
    _b64(b"\xff\xfe"),
    _b64(b"[]"),
    _b64(b"null"),
    _b64(json.dumps({"sort": "time", "after": [1]}).encode()),
    _b64(json.dumps({"sort": "time", "after": [10**30, "x"]}).encode()),
    _b64(json.dumps({"sort": "time", "after": [True, "x"]}).encode()),
    _b64(json.dumps({"sort": "time", "after": ["1", "x"]}).encode()),
    _b64(json.dumps({"sort": "sideways", "after": [1, "x"]}).encode()),
    _b64(b'{"sort": "relevance", "after": [NaN, 1, "x"]}'),
]


@pytest.mark.parametrize("cursor", INVALID_CURSORS)
def test_invalid_cursor(mention_store: MentionStore, cursor: str) -> None:
    with pytest.raises(ValueError, match="invalid cursor"):
        analysed(mention_store).search(SearchQuery(cursor=cursor))
    with pytest.raises(ValueError, match="invalid cursor"):
        mention_store.search(SearchQuery(text="收费", sort="relevance", cursor=cursor))


def test_a_cursor_is_only_good_for_its_sort(mention_store: MentionStore) -> None:
    analysed(mention_store)
    cursor = mention_store.search(SearchQuery(text="收费", sort="relevance", size=1)).next_cursor
    assert cursor is not None
    with pytest.raises(ValueError, match="invalid cursor"):
        mention_store.search(SearchQuery(text="收费", cursor=cursor))


@pytest.mark.parametrize("size", [0, -1, 1001])
def test_size_is_bounded(mention_store: MentionStore, size: int) -> None:
    with pytest.raises(ValueError):
        mention_store.search(SearchQuery(size=size))


def test_size_limits_are_accepted(mention_store: MentionStore) -> None:
    analysed(mention_store)
    assert len(mention_store.search(SearchQuery(size=1)).hits) == 1
    assert len(mention_store.search(SearchQuery(size=1000)).hits) == 5


# --- aggregations -------------------------------------------------------------------------------------------


def _buckets(result: SearchResult, name: str) -> list[tuple[str, int]]:
    return [(b.key, b.count) for b in result.aggregations[name]]


def test_aggregations_cover_all_matches_not_only_the_page(mention_store: MentionStore) -> None:
    result = analysed(mention_store).search(
        SearchQuery(
            size=1,
            aggs=(
                DateHistogram("by_day", "discovered_at", "day"),
                DateHistogram("by_hour", "discovered_at", "hour"),
                DateHistogram("published", "published_at", "day"),
                Terms("sources", "source"),
                Terms("units", "unit"),
                Terms("schemes", "schemes"),
                Terms("levels", "level"),
                Terms("sentiment", "sentiment_label"),
                Terms("top_level", "level", size=1),
                Terms("types", "post_type"),
            ),
        )
    )
    assert result.total == 5 and len(result.hits) == 1
    assert _buckets(result, "by_day") == [("2026-03-05T00:00:00+00:00", 3), ("2026-03-06T00:00:00+00:00", 2)]
    assert _buckets(result, "by_hour") == [  # only non-empty buckets, oldest first
        ("2026-03-05T08:00:00+00:00", 2),
        ("2026-03-05T09:00:00+00:00", 1),
        ("2026-03-06T10:00:00+00:00", 2),
    ]
    # Published 5 March 15:00 and 16:30 in Beijing and 01:00 UTC: all 5 March in UTC. Two have no date.
    assert _buckets(result, "published") == [("2026-03-05T00:00:00+00:00", 3)]
    assert _buckets(result, "sources") == [("baixing", 2), ("tousu", 2), ("weibo", 1)]
    assert _buckets(result, "units") == [("county-edu", 2), ("no1-middle", 2), ("town-gov", 1)]
    assert _buckets(result, "schemes") == [("arbitrary-fees", 2), ("bullying", 1), ("food-safety", 1)]
    assert _buckets(result, "levels") == [("3", 2), ("0", 1), ("1", 1), ("2", 1)]
    assert _buckets(result, "sentiment") == [("negative", 3), ("neutral", 1), ("positive", 1)]
    assert _buckets(result, "top_level") == [("3", 2)]
    assert _buckets(result, "types") == [("投诉", 2), ("举报", 1), ("求助", 1), ("表扬", 1)]


def test_aggregations_follow_the_query(mention_store: MentionStore) -> None:
    result = analysed(mention_store).search(
        SearchQuery(
            text="收费",
            aggs=(
                DateHistogram("by_day"),
                Terms("schemes", "schemes"),
                Terms("levels", "level"),
                Terms("types", "post_type"),
            ),
        )
    )
    assert _buckets(result, "types") == [("投诉", 2)]
    assert _buckets(result, "by_day") == [("2026-03-05T00:00:00+00:00", 1), ("2026-03-06T00:00:00+00:00", 1)]
    assert _buckets(result, "schemes") == [("arbitrary-fees", 2)]
    assert _buckets(result, "levels") == [("1", 1), ("2", 1)]
    nothing = mention_store.search(SearchQuery(text="高铁", aggs=(DateHistogram("by_day"), Terms("s", "source"))))
    assert nothing.aggregations == {"by_day": [], "s": []}


def test_unanalysed_mentions_have_no_analysis_terms(mention_store: MentionStore) -> None:
    result = crawled(mention_store).search(
        SearchQuery(
            aggs=(
                Terms("levels", "level"),
                Terms("schemes", "schemes"),
                Terms("s", "sentiment_label"),
                Terms("t", "post_type"),
            )
        )
    )
    assert result.aggregations == {"levels": [], "schemes": [], "s": [], "t": []}


# --- concurrency and restarts -------------------------------------------------------------------------------


def test_concurrent_writes_from_threads(mention_store: MentionStore) -> None:
    errors: list[BaseException] = []

    def work(prefix: str) -> None:
        try:
            for i in range(30):
                post = NewMention("tousu", f"{prefix}{i}", "http://t", f"食堂投诉{i}", "学校食堂饭菜变质")
                mention_store.upsert_many([post])
                mention_store.save_analysis([(post.id, analysis(1, "negative", ["food-safety"]))])
                mention_store.search(SearchQuery(text="食堂", size=5, aggs=(Terms("s", "schemes"),)))
        except BaseException as exc:  # reported by the assertion below, not lost in the thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(p,)) for p in ("a", "b", "c")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert mention_store.count() == 90 and mention_store.backlog() == 0
    seqs = [m.analysis_seq for m in mention_store.analysed_since(0, limit=1000)]
    assert len(seqs) == len(set(seqs)) == 90


def test_reopened_store_keeps_everything(open_store: OpenStore) -> None:
    first = analysed(open_store())
    last = max(m.analysis_seq or 0 for m in first.analysed_since(0, limit=10))
    first.upsert_many([replace(TUTORING, content="补课收费已叫停")])  # clears the highest number
    before = first.get(FEES.id)
    first.close()

    again = open_store()
    assert again.count() == 5 and again.backlog() == 1 and again.get(FEES.id) == before
    assert ids(again.search(SearchQuery(text="县教育局"))) == [FEES.id]
    assert again.search(SearchQuery(schemes=("bullying",))).total == 1
    again.save_analysis([(TUTORING.id, analysis(1, "neutral", []))])
    followed = again.analysed_since(last, limit=10)
    assert ids(followed) == [TUTORING.id] and (followed[0].analysis_seq or 0) > last  # the counter survived


WRITER = """
import sys
from pathlib import Path
from typing import Any
from store.mentions import NewMention
from store.mentions.sqlite import SqliteMentionStore

store = SqliteMentionStore(Path(sys.argv[1]))
for batch in range(30):
    store.upsert_many([
        NewMention("crawler", f"{batch}-{i}", "http://c", f"路灯不亮{batch}-{i}", "幸福路路灯坏了一个月没人修。")
        for i in range(10)
    ])
store.close()
print("done")
"""


@pytest.mark.skipif("sqlite" not in BACKENDS, reason="the embedded store only")
def test_another_process_writes_while_this_one_reads_and_writes(tmp_path: Path) -> None:
    path = tmp_path / "shared.sqlite3"
    store = SqliteMentionStore(path)
    writer = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(WRITER), str(path)],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    reads = 0
    while writer.poll() is None and time.monotonic() < deadline:
        store.search(SearchQuery(text="路灯", size=5, aggs=(DateHistogram("d", interval="hour"),)))
        pending = store.pending_analysis(20)  # and write too: the analysis side of the same file
        store.save_analysis([(m.id, analysis(1, "negative", [])) for m in pending])
        reads += 1
    out, err = writer.communicate(timeout=max(1.0, deadline - time.monotonic()))
    assert writer.returncode == 0 and out.strip() == "done", err[-3000:]
    assert "locked" not in err
    assert reads > 0 and store.count() == 300
    store.save_analysis([(m.id, analysis(1, "negative", [])) for m in store.pending_analysis(300)])
    assert store.backlog() == 0 and store.search(SearchQuery(text="路灯")).total == 300
    store.close()


def test_discovery_and_analysis_time_can_be_given(mention_store: MentionStore) -> None:
    mention_store.upsert_many([FEES], now=T0)
    mention_store.upsert_many([replace(FEES, content="改")], now=T0 + timedelta(hours=1))  # an edit
    mention_store.save_analysis([ANALYSES[0]], now=T0 + timedelta(hours=2))
    m = mention_store.get(FEES.id)
    assert m is not None
    assert m.discovered_at == T0 and m.updated_at == T0 + timedelta(hours=1)
    assert m.analysed_at == T0 + timedelta(hours=2)


# --- what the crawlers keep track of ---------------------------------------------------------------------


def _post(post_id: str, text: str, *, published: datetime | None = None, replies: int | None = None) -> NewMention:
    return NewMention(
        "tieba",
        post_id,
        f"http://tieba.example/p/{post_id}",
        f"帖子{post_id}",
        text,
        published_at=published,
        reply_count=replies,
    )


def test_list_heat_is_kept_over_time(mention_store: MentionStore) -> None:
    mention_store.upsert_many([_post("1", "食堂饭菜变质", replies=2)], now=T0)
    first = mention_store.get("tieba:1")
    assert first is not None
    updates = [CountUpdate(first.id, 9, 300, "已回复"), CountUpdate("tieba:nope", 1, 1)]
    assert mention_store.record_counts(updates, now=T0 + timedelta(hours=1)) == 1
    assert mention_store.record_counts([CountUpdate(first.id, 9, 300)], now=T0 + timedelta(hours=2)) == 0
    after = mention_store.get(first.id)
    assert after is not None and (after.reply_count, after.view_count, after.status) == (9, 300, "已回复")
    assert after.analysed_at is None and after.content == "食堂饭菜变质"  # heat is not an edit
    history = mention_store.count_history(first.id)
    assert [(h.at, h.reply_count, h.view_count) for h in history] == [
        (T0, 2, None),
        (T0 + timedelta(hours=1), 9, 300),
    ]


def test_the_official_reply_is_its_own_field_and_outlives_a_page_without_it(mention_store: MentionStore) -> None:
    mention_store.upsert_many([_post("1", "小区噪音扰民", replies=4)], now=T0)
    first = mention_store.get("tieba:1")
    assert first is not None and first.official_reply is None
    reply = OfficialReply(
        "已转城管部门核查，夜间施工已叫停。", "城关镇人民政府", datetime(2026, 3, 6, 1, 5, tzinfo=UTC)
    )
    answered = replace(_post("1", "小区噪音扰民", replies=4), official_reply=reply)
    assert mention_store.upsert_many([answered], now=T0 + timedelta(hours=1)).unchanged == ["tieba:1"]
    got = mention_store.get("tieba:1")
    assert got is not None and got.official_reply == reply
    assert got.reply_count == 4 and got.content == "小区噪音扰民"  # the reply is neither a 跟帖 nor the text
    mention_store.upsert_many([_post("1", "小区噪音扰民（补充）", replies=5)], now=T0 + timedelta(hours=2))
    edited = mention_store.get("tieba:1")
    assert edited is not None and edited.official_reply == reply and edited.edits == 1
    assert mention_store.search(SearchQuery(text="城管部门")).total == 0  # shown with the post, not searched


def test_removed_posts_stay_marked_and_come_back_when_seen_again(mention_store: MentionStore) -> None:
    mention_store.upsert_many([_post("1", "乱收费"), _post("2", "积水")], now=T0)
    assert mention_store.mark_deleted(["tieba:1", "tieba:404"], now=T0 + timedelta(hours=1)) == 1
    assert mention_store.mark_deleted(["tieba:1"], now=T0 + timedelta(hours=2)) == 0  # once
    removed = mention_store.get("tieba:1")
    assert removed is not None and removed.deleted_at == T0 + timedelta(hours=1) and removed.content == "乱收费"
    assert mention_store.search(SearchQuery(text="乱收费")).total == 1  # still searchable
    mention_store.upsert_many([_post("1", "乱收费")], now=T0 + timedelta(hours=3))
    back = mention_store.get("tieba:1")
    assert back is not None and back.deleted_at is None


def test_revisits_young_live_threads_least_recently_seen_first(mention_store: MentionStore) -> None:
    day = timedelta(days=1)
    mention_store.upsert_many([_post("old", "旧帖", published=T0 - 5 * day)], now=T0)
    mention_store.upsert_many([_post("a", "甲", published=T0)], now=T0)
    mention_store.upsert_many([_post("b", "乙", published=T0)], now=T0 + timedelta(minutes=30))
    mention_store.upsert_many([_post("gone", "删", published=T0)], now=T0)
    mention_store.mark_deleted(["tieba:gone"], now=T0)
    due = mention_store.revisit_due("tieba", published_since=T0 - day, seen_before=T0 + timedelta(hours=1), limit=10)
    assert [m.post_id for m in due] == ["a", "b"]
    mention_store.mark_seen(["tieba:a"], now=T0 + timedelta(hours=2))
    due = mention_store.revisit_due("tieba", published_since=T0 - day, seen_before=T0 + timedelta(hours=1), limit=10)
    assert [m.post_id for m in due] == ["b"]
    assert mention_store.revisit_due("tieba", published_since=T0 - day, seen_before=T0 + day, limit=0) == []


def test_edits_are_counted_and_same_text_is_found(mention_store: MentionStore) -> None:
    mention_store.upsert_many([_post("1", "原文", published=T0)], now=T0)
    mention_store.upsert_many([_post("1", "改过的正文", published=T0)], now=T0 + timedelta(hours=1))
    edited = mention_store.get("tieba:1")
    assert edited is not None and edited.edits == 1 and edited.discovered_at == T0
    from store.mentions.content import content_hash

    digest = content_hash("帖子1", "改过的正文")
    assert mention_store.same_content("tieba", [digest, "0" * 64]) == {digest: "tieba:1"}
    assert mention_store.same_content("other-source", [digest]) == {}
    assert mention_store.latest_published("tieba") == T0 and mention_store.latest_published("none") is None


def test_aliases_are_known_but_never_stored(mention_store: MentionStore) -> None:
    mention_store.upsert_many([_post("1", "正文")], now=T0)
    mention_store.add_aliases({"tieba:1-copy": "tieba:1"})
    mention_store.add_aliases({"tieba:1-copy": "tieba:1"})  # idempotent
    assert mention_store.known_ids(["tieba:1", "tieba:1-copy", "tieba:2"]) == {"tieba:1", "tieba:1-copy"}
    assert mention_store.get("tieba:1-copy") is None and mention_store.count() == 1


def test_highlights_mark_the_words_in_the_original_text(mention_store: MentionStore) -> None:
    analysed(mention_store)
    plain = mention_store.search(SearchQuery(text="食堂"))
    assert plain.highlights == {}  # only when asked for
    result = mention_store.search(SearchQuery(text="食堂", highlight=True))
    marked = result.highlights[CANTEEN.id]
    assert marked["title"] == ["城关一中<em>食堂</em>饭菜发霉"]
    assert any("<em>食堂</em>的米饭" in f for f in marked["content"])
    assert set(result.highlights) == {CANTEEN.id}
    width = mention_store.search(SearchQuery(text="app", highlight=True))
    assert any("<em>ＡＰＰ</em>" in f for f in width.highlights[THANKS.id]["content"])  # shown as written
    hostile = replace(THANKS, post_id="x", title="<b>食堂</b>", content="食堂")
    mention_store.upsert_many([hostile])
    escaped = mention_store.search(SearchQuery(text="食堂", highlight=True, sources=("tousu",))).highlights
    assert escaped[hostile.id]["title"] == ["&lt;b&gt;<em>食堂</em>&lt;/b&gt;"]  # the page's HTML is text


def drop_facets(conn: Any) -> None:
    """Take away what files before the search copy (store/mentions/sqlite_facets.py) did not have."""
    for trigger in ("insert", "update", "delete"):
        conn.execute(f"DROP TRIGGER mention_facets_{trigger}")
    conn.execute("DROP TABLE mention_facets")
    drop_fts_tags(conn)


def drop_fts_tags(conn: Any) -> None:
    """Take away what files before version 6 did not have: the filter tags in the FTS index and their trigger."""
    conn.execute("DROP TRIGGER mentions_fts_tags")
    rows = conn.execute("SELECT rowid, title, body FROM mentions_fts").fetchall()
    conn.execute("DROP TABLE mentions_fts")
    conn.execute("CREATE VIRTUAL TABLE mentions_fts USING fts5(title, body)")
    conn.executemany("INSERT INTO mentions_fts (rowid, title, body) VALUES (?, ?, ?)", rows)


@pytest.mark.skipif("sqlite" not in BACKENDS, reason="the embedded store only")
def test_a_version_3_file_gains_the_official_reply_and_keeps_its_posts(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "v3.sqlite3"
    first = SqliteMentionStore(path)
    first.upsert_many([_post("1", "路灯不亮")], now=T0)
    first.close()
    with sqlite3.connect(path) as conn:  # as version 3 left it: no official_reply, votes nor post type
        drop_facets(conn)
        conn.execute("DROP INDEX ix_mentions_post_type")
        for column in ("official_reply", "up_votes", "down_votes", "post_type"):
            conn.execute(f"ALTER TABLE mentions DROP COLUMN {column}")
        conn.execute("PRAGMA user_version = 3")
    store = SqliteMentionStore(path)
    reply = OfficialReply("已安排维修。", "城关镇人民政府")
    store.upsert_many([replace(_post("1", "路灯不亮"), official_reply=reply)])
    got = store.get("tieba:1")
    assert got is not None and got.official_reply == reply and got.discovered_at == T0
    store.close()


@pytest.mark.skipif("sqlite" not in BACKENDS, reason="the embedded store only")
def test_a_version_4_file_gains_the_post_type_and_reanalysis_fills_it(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "v4.sqlite3"
    first = SqliteMentionStore(path)
    first.upsert_many([THANKS], now=T0)
    first.save_analysis([(THANKS.id, analysis(0, "positive", [], post_type=None))], now=T0)
    first.close()
    with sqlite3.connect(path) as conn:  # as version 4 left it: no post_type column nor its index
        drop_facets(conn)
        conn.execute("DROP INDEX ix_mentions_post_type")
        conn.execute("ALTER TABLE mentions DROP COLUMN post_type")
        conn.execute("PRAGMA user_version = 4")
    store = SqliteMentionStore(path)
    kept = store.get(THANKS.id)
    assert kept is not None and kept.analysis is not None and kept.analysis.post_type is None
    assert kept.discovered_at == T0 and kept.analysis.sentiment_label == "positive"
    assert store.request_reanalysis() == 1
    store.save_analysis([(THANKS.id, analysis(0, "positive", [], post_type="表扬"))])
    assert ids(store.search(SearchQuery(post_types=("表扬",), text="路灯"))) == [THANKS.id]
    store.close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 6


@pytest.mark.skipif("sqlite" not in BACKENDS, reason="the embedded store only")
def test_a_version_5_file_gets_the_filter_tags_in_its_index_and_finds_the_same(tmp_path: Path) -> None:
    """Version 6 keeps the filter values in the FTS index (sqlite_facets.py, fts_tags): a version 5 file is
    rebuilt once on open, in its write transaction, and every filter finds what it found before; analysis
    changing a value moves its tag; a word spelled like a tag does not find the tag."""
    import sqlite3

    from store.mentions.sqlite_facets import tag

    path = tmp_path / "v5.sqlite3"
    first = SqliteMentionStore(path)
    posts = [
        NewMention(
            ("tieba", "weibo")[n % 2],
            str(n),
            f"http://x/{n}",
            f"帖子{n}",
            f"streetlamp broken {n}",
            unit=("county", None)[n % 3 == 0],
        )
        for n in range(9)
    ]
    first.upsert_many(posts, now=T0)
    labels: tuple[Literal["negative", "neutral", "positive"], ...] = ("negative", "neutral", "positive")
    first.save_analysis(
        [(p.id, analysis(n, labels[n % 3], [], post_type=("投诉", "咨询")[n % 2])) for n, p in enumerate(posts)],
        now=T0,
    )
    queries = [
        SearchQuery(text="streetlamp"),
        SearchQuery(text="streetlamp", sources=("weibo",)),
        SearchQuery(text="streetlamp", units=("county",), sentiment_labels=("negative", "positive")),
        SearchQuery(text="streetlamp", post_types=("投诉",), sentiment_labels=("neutral",)),
        SearchQuery(text="streetlamp", units=("",)),
    ]
    before = [ids(first.search(q)) for q in queries]
    first.close()
    with sqlite3.connect(path) as conn:
        drop_fts_tags(conn)
        conn.execute("PRAGMA user_version = 5")
    for _ in range(2):  # the second open finds nothing to do
        store = SqliteMentionStore(path)
        assert [ids(store.search(q)) for q in queries] == before
        store.close()
    assert before[1] and before[2] and before[3] and not before[4]
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 6
        columns = [row[1] for row in conn.execute("PRAGMA table_info(mentions_fts)")]
        assert columns == ["title", "body", "tags"]
        word = tag("unit", "county")
        assert word is not None
        found = conn.execute("SELECT COUNT(*) FROM mentions_fts WHERE mentions_fts MATCH ?", (f'tags : "{word}"',))
        assert found.fetchone()[0] == 6
    store = SqliteMentionStore(path)
    assert ids(store.search(SearchQuery(text=word))) == []  # a tag is not a word
    # Analysis finding another unit in the text moves the post's tag.
    store.save_analysis([(posts[1].id, analysis(1, "negative", [], unit="county-edu"))])
    assert ids(store.search(SearchQuery(text="streetlamp", units=("county-edu",)))) == [posts[1].id]
    assert posts[1].id not in ids(store.search(SearchQuery(text="streetlamp", units=("county",), size=100)))
    store.close()
