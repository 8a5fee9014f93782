"""Rows read back as `Mention`s (store/mentions/sqlite_rows.py builds them without the frozen dataclass's
__init__): every field set, and each mention equal to the one `Mention(...)` makes of the same values — bare
posts and posts with every optional column filled and an analysis saved."""

from __future__ import annotations

from dataclasses import fields
from datetime import UTC, datetime
from pathlib import Path

from store.mentions import Analysis, Mention, NewMention
from store.mentions.model import OfficialReply, SchemeFlag
from store.mentions.sqlite import SqliteMentionStore


def _as_init_makes(mention: Mention) -> Mention:
    return Mention(**{f.name: getattr(mention, f.name) for f in fields(Mention)})


def test_mentions_read_back_are_the_ones_init_makes(tmp_path: Path) -> None:
    store = SqliteMentionStore(tmp_path / "m.sqlite3")
    at = datetime(2026, 12, 3, 8, 30, tzinfo=UTC)
    full = NewMention(
        "board",
        "1",
        "http://b/1",
        "城关中学食堂",
        "食堂饭菜变质，学生腹泻",
        author="家长",
        published_at=at,
        reply_count=3,
        view_count=120,
        unit="县教育局",
        up_votes=5,
        down_votes=1,
        status="已回复",
        notes=("正文过长，已截断",),
        official_reply=OfficialReply("已责成学校整改", "县教育局", at),
    )
    store.upsert_many([full, NewMention("board", "2", "http://b/2", "", "路灯不亮")], now=at)
    analysis = Analysis(
        tokens=["食堂", "变质"],
        sentiment=-0.6,
        sentiment_label="negative",
        flags=[SchemeFlag("食品安全", ["变质"], [("content", 4)])],
        level=3,
        unit="县教育局",
        explanation=["食品安全：变质"],
        event_id="board:1",
        post_type="投诉",
    )
    store.save_analysis([(full.id, analysis)], now=at)
    read = [*store.get_many([full.id, "board:2"]), *(m for m, _ in store.pending_with_tokens(10))]
    assert len(read) == 3
    names = {f.name for f in fields(Mention)}
    for mention in read:
        assert set(vars(mention)) == names
        again = _as_init_makes(mention)
        assert mention == again
        assert repr(mention) == repr(again)
    analysed = read[0]
    assert analysed.notes == ("正文过长，已截断",)
    assert analysed.official_reply == OfficialReply("已责成学校整改", "县教育局", at)
    assert analysed.analysis is not None and analysed.analysis.level == 3
    assert read[1].notes == () and read[1].official_reply is None and read[1].analysis is None
    store.close()
