"""The Elasticsearch store changes documents with pure functions (elastic_docs); here they are run beside the
embedded store on the same history of one post, and must leave the same mention after every step — the
contract's semantics checked without a cluster (the cluster's part is in the request/response tests)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from store.mentions import Analysis, CountUpdate, NewMention, OfficialReply, SchemeFlag
from store.mentions.elastic_docs import (
    Doc,
    apply_analysis,
    apply_counts,
    apply_crawl,
    count_history,
    iso,
    to_mention,
)
from store.mentions.sqlite import SqliteMentionStore

T0 = datetime(2026, 3, 5, 8, 10, 0, 123456, tzinfo=UTC)
POST = NewMention(
    "baixing",
    "1001",
    "http://baixing.example/t/1001",
    "县教育局对城关一中乱收费不作为",
    "城关一中以资料费名义每生收取300元。",
    author="一位家长",
    published_at=datetime(2026, 3, 5, 7, 0, tzinfo=UTC),
    reply_count=3,
    view_count=120,
    unit="county-edu",
    status="未回复",
    notes=("page cut at 2 MB",),
    up_votes=5,
)


def _analysis(level: int, unit: str | None) -> Analysis:
    flag = SchemeFlag("arbitrary-fees", ["乱收费"], [("title", 10), ("content", 4)])
    kind = "举报" if level >= 2 else "投诉"  # the type rides along and changes with the analysis
    return Analysis(["乱收费", "教育局"], -0.5, "negative", [flag], level, unit, [f"级别 {level}"], "evt-1", kind)


def test_the_same_history_leaves_the_same_mention_on_both_backends(tmp_path: Path) -> None:
    sqlite = SqliteMentionStore(tmp_path / "m.sqlite3")
    doc: Doc | None = None
    seq = 0

    def at(minutes: int) -> datetime:
        return T0 + timedelta(minutes=minutes)

    def crawl(post: NewMention, minutes: int) -> None:
        nonlocal doc
        expected = sqlite.upsert_many([post], now=at(minutes))
        outcome, doc = apply_crawl(doc, post, iso(at(minutes)))
        assert getattr(expected, outcome) == [post.id]
        check()

    def analyse(analysis: Analysis, minutes: int) -> None:
        nonlocal doc, seq
        sqlite.save_analysis([(POST.id, analysis)], now=at(minutes))
        seq += 1
        assert doc is not None
        doc = apply_analysis(doc, analysis, stamp=iso(at(minutes)), seq=seq)
        check()

    def check() -> None:
        assert doc is not None
        assert to_mention(doc) == sqlite.get(POST.id)
        assert count_history(doc) == sqlite.count_history(POST.id)

    crawl(POST, 0)  # created
    crawl(replace(POST, reply_count=15, view_count=None, status=None), 5)  # unchanged: heat only
    crawl(replace(POST, up_votes=9, down_votes=2), 7)  # votes are heat too
    crawl(replace(POST, content="  " + POST.content + "\n"), 6)  # whitespace is not an edit
    reply = OfficialReply("已责令学校退费。", "县教育局", datetime(2026, 3, 5, 9, 0, tzinfo=UTC))
    crawl(replace(POST, official_reply=reply), 7)  # the office answers: kept apart, not an edit
    analyse(_analysis(2, "no1-middle"), 10)  # the analysis's unit replaces the crawler's
    crawl(replace(POST, content="城关一中乱收费，已退款。", reply_count=None), 20)  # an edit: analysis dropped
    analyse(_analysis(1, None), 25)  # no unit found: the crawler's stays
    assert doc is not None
    assert to_mention(doc).analysis is not None
    assert to_mention(doc).analysis.post_type == "投诉"  # type: ignore[union-attr]  # the new analysis's type

    changed = sqlite.record_counts([CountUpdate(POST.id, 20, None, "已回复")], now=at(30))
    assert doc is not None
    moved, doc = apply_counts(doc, CountUpdate(POST.id, 20, None, "已回复"), iso(at(30)))
    assert changed == int(moved) == 1
    check()
    votes = CountUpdate(POST.id, None, None, up_votes=30)
    changed = sqlite.record_counts([votes], now=at(35))
    moved, doc = apply_counts(doc, votes, iso(at(35)))
    assert changed == int(moved) == 1
    check()
    assert (to_mention(doc).up_votes, to_mention(doc).down_votes) == (30, 2)
    assert sqlite.mark_deleted([POST.id], now=at(40)) == 1
    doc = {**doc, "deleted_at": iso(at(40)), "last_seen_at": iso(at(40))}  # what mark_deleted writes
    check()
    crawl(replace(POST, content="城关一中乱收费，已退款。"), 50)  # seen again: no longer deleted
    assert sqlite.request_reanalysis() == 1
    doc = {**doc, "analysed_at": None}  # what the update-by-query script does
    check()
    m = to_mention(doc)
    assert m.analysis is not None and m.analysed_at is None and m.edits == 1 and m.deleted_at is None
    assert m.official_reply == reply  # later crawls that did not show it kept it
    sqlite.close()
