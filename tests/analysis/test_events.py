"""Same-story events: reposts with edits join one event across sources; distinct stories stay apart; the job
keeps copy counts exact when it runs again after a crash. On SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from analysis.analyser import Analyser
from analysis.events.memory import MemoryIndex
from analysis.events.minhash import signature, similarity
from analysis.events.models import Event, EventBand, EventMember
from analysis.events.service import EventHeat, EventInput, assign, assign_many, prune_bands
from analysis.events.sql import sql_index
from analysis.job import analyse_pending
from config import load_config
from config.models import EventSettings
from store.mentions import NewMention
from store.mentions.sqlite import SqliteMentionStore
from store.workflow import make_engine, make_session_factory
from store.workflow.migrate import upgrade

STORY = "城关一中食堂饭菜变质，好几个学生吃完呕吐腹泻，学校一直不回应，希望教育局管管。"
REPOSTS = [
    "转发：城关一中食堂饭菜变质!!好几个学生吃完呕吐腹泻,学校一直不回应。希望县教育局管一管",
    "【求扩散】城关一中食堂饭菜变质，好几个学生吃完呕吐腹泻，学校一直不回应，希望教育局管管！！！",
    "城關一中食堂飯菜變質，好幾個學生吃完嘔吐腹瀉，學校一直不回應，希望教育局管管。",  # traditional
]
OTHERS = [
    "城关镇中心小学班主任要求每个学生交资料费200元，不交就不让上课，这是乱收费吗？",
    "城关一中食堂饭菜很好吃，学生们都很满意，感谢学校后勤。",  # same words, another story
    "县医院急诊科排队三个小时没人管，护士态度恶劣。",
]
T0 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


@pytest.fixture
def sessions(workflow_url: str) -> Iterator[sessionmaker[Session]]:
    upgrade(workflow_url)
    engine = make_engine(workflow_url)
    yield make_session_factory(engine)
    engine.dispose()


def _assign(sessions: sessionmaker[Session], mention_id: str, source: str, text: str, at: datetime) -> EventHeat:
    with sessions.begin() as session:
        heat = assign(
            session,
            mention_id=mention_id,
            source=source,
            title=text[:20],
            text=text,
            discovered_at=at,
            replies=3,
            views=100,
            settings=EventSettings(),
        )
    assert heat is not None  # the text is long enough to have a signature
    return heat


def test_signatures_tell_reposts_from_other_stories() -> None:
    first = signature(STORY)
    assert first is not None
    for repost in REPOSTS:
        other = signature(repost)
        assert other is not None and similarity(first, other) >= 0.5, repost
    for text in OTHERS:
        other = signature(text)
        assert other is not None and similarity(first, other) < 0.5, text
    assert signature("求助") is None  # too short to call anything the same story


def test_reposts_across_sources_are_one_event(sessions: sessionmaker[Session]) -> None:
    heat = _assign(sessions, "a:1", "a", STORY, T0)
    for i, repost in enumerate(REPOSTS):
        heat = _assign(sessions, f"b:{i}", "b" if i % 2 else "c", repost, T0 + timedelta(minutes=10 * (i + 1)))
    for i, text in enumerate(OTHERS):
        _assign(sessions, f"o:{i}", "a", text, T0 + timedelta(minutes=5))
    assert heat.id == "a:1" and heat.joined and heat.copies == 4 and heat.sources == 3
    assert heat.replies == 12 and heat.views == 400
    with sessions() as session:
        assert session.query(Event).count() == 1 + len(OTHERS)
        assert {m.event_id for m in session.query(EventMember).filter(EventMember.mention_id.like("o:%"))} == {
            "o:0",
            "o:1",
            "o:2",
        }


def test_assigning_again_counts_once(sessions: sessionmaker[Session]) -> None:
    _assign(sessions, "a:1", "a", STORY, T0)
    first = _assign(sessions, "b:1", "b", REPOSTS[0], T0 + timedelta(minutes=1))
    again = _assign(sessions, "b:1", "b", REPOSTS[0], T0 + timedelta(minutes=1))
    assert first == again and again.copies == 2


def test_outside_the_window_a_repost_starts_a_new_event(sessions: sessionmaker[Session]) -> None:
    _assign(sessions, "a:1", "a", STORY, T0)
    late = _assign(sessions, "b:1", "b", REPOSTS[0], T0 + timedelta(hours=EventSettings().window_hours + 1))
    assert late.id == "b:1" and not late.joined


def test_pruning_drops_only_old_band_keys(sessions: sessionmaker[Session]) -> None:
    _assign(sessions, "a:1", "a", STORY, T0)
    _assign(sessions, "o:1", "a", OTHERS[0], T0 + timedelta(days=5))
    with sessions.begin() as session:
        removed = prune_bands(session, before=T0 + timedelta(days=1))
        on_sqlite = session.connection().dialect.name == "sqlite"
    with sessions() as session:
        kept = {b.mention_id for b in session.query(EventBand)}
        assert session.query(Event).count() == 2
    if on_sqlite:  # band keys are held in memory there (analysis/events/sqlite_bands.py): none stored to prune
        assert (removed, kept) == (0, set())
    else:
        assert removed > 0 and kept == {"o:1"}


def test_the_job_clusters_and_survives_a_rerun(tmp_path: Path, workflow_url: str) -> None:
    upgrade(workflow_url)
    engine = make_engine(workflow_url)
    sessions = make_session_factory(engine)
    config = load_config(Path(__file__).resolve().parents[2] / "config" / "example")
    analyser = Analyser(config)
    store = SqliteMentionStore(tmp_path / "m.sqlite3")
    texts = [STORY, *REPOSTS, *OTHERS]
    store.upsert_many(
        [NewMention(source="s", post_id=str(i), url=f"http://x/{i}", title="", content=t) for i, t in enumerate(texts)]
    )
    assert analyse_pending(store, analyser, sessions=sessions, batch=3, max_batches=1) == 3  # "crash" after 3
    store.upsert_many([NewMention(source="s", post_id="0", url="http://x/0", title="", content=STORY + "（补充）")])
    assert analyse_pending(store, analyser, sessions=sessions) == len(texts) - 3 + 1  # the edit is analysed again
    mentions = {m.post_id: m for m in store.analysed_since(0, limit=100)}
    event_of = {k: m.analysis.event_id for k, m in mentions.items() if m.analysis}
    story_event = event_of["0"]
    assert story_event is not None
    assert [event_of[str(i)] for i in range(4)] == [story_event] * 4
    assert len({event_of[str(i)] for i in range(4, 7)}) == 3
    with sessions() as session:
        assert session.get_one(Event, story_event).copies == 4
    last = mentions["3"].analysis
    assert last is not None and any("同一事件：共 4 篇" in line for line in last.explanation)
    store.close()
    engine.dispose()


# --- repeated complaints: the same place and matter --------------------------------------------------------

FUMES = [  # real wording from the DEV hot messages (taidi2020_full), one estate's shops below the flats
    (
        "A5区劳动东路魅力之城小区底层餐馆油烟扰民",
        "小区底层的餐馆每天油烟直排，楼上住户窗户都不敢开，投诉多次无人处理。",
    ),
    ("魅力之城小区临街门面油烟直排扰民", "临街门面开了好几家烧烤店，晚上烟雾弥漫，孩子咳嗽不止，希望相关部门整治。"),
    ("A市万科魅力之城商铺无排烟管道，小区内到处油烟味", "商铺没有专用排烟管道，油烟顺着外墙往上飘，家里全是味道。"),
]


def _subject(
    sessions: sessionmaker[Session], mention_id: str, title: str, body: str, at: datetime, **settings: object
) -> EventHeat:
    with sessions.begin() as session:
        heat = assign(
            session,
            mention_id=mention_id,
            source="board",
            title=title,
            text=f"{title}\n{body}",
            discovered_at=at,
            replies=None,
            views=None,
            settings=EventSettings.model_validate(settings),
        )
    assert heat is not None  # the text is long enough to have a signature
    return heat


def test_complaints_about_the_same_place_and_matter_are_one_story(sessions: sessionmaker[Session]) -> None:
    heats = [_subject(sessions, f"f{i}", t, b, T0 + timedelta(days=3 * i)) for i, (t, b) in enumerate(FUMES)]
    assert {h.id for h in heats} == {"f0"}
    last = heats[-1]
    assert (last.copies, last.joined, last.subject) == (3, True, "魅力之|油烟")
    # The same estate, another matter: another story; another estate, the same matter: another story.
    cracks = _subject(sessions, "c", "A市万科魅力之城近百户房屋楼板开裂", "楼板墙面开裂。", T0 + timedelta(days=8))
    other = _subject(sessions, "o", "润芳园小区临街门面油烟扰民", "油烟很大。", T0 + timedelta(days=8))
    assert cracks.id == "c" and other.id == "o"


def test_subject_joining_keeps_to_its_window_and_can_be_off(sessions: sessionmaker[Session]) -> None:
    (t0, b0), (t1, b1), (t2, b2) = FUMES
    _subject(sessions, "a", t0, b0, T0)
    late = _subject(sessions, "b", t1, b1, T0 + timedelta(days=40))  # 30 days after the last post: a new story
    assert late.id == "b"
    off = _subject(sessions, "c", t2, b2, T0 + timedelta(days=41), same_subject=False)
    assert off.id == "c"


# --- batches -------------------------------------------------------------------------------------------------


def test_a_batch_gives_the_same_events_as_one_at_a_time(workflow_url: str, tmp_path: Path) -> None:
    """assign_many over reposts, other stories, repeated complaints and a mention seen twice: the same events,
    copy counts, heat and subjects as assigning them one by one in order."""
    texts: list[tuple[str, str, str, datetime]] = [("a:1", "a", STORY, T0)]
    texts += [(f"b:{i}", "bc"[i % 2], r, T0 + timedelta(minutes=10 * (i + 1))) for i, r in enumerate(REPOSTS)]
    texts += [(f"o:{i}", "a", t, T0 + timedelta(minutes=5)) for i, t in enumerate(OTHERS)]
    texts += [(f"f{i}", "board", f"{t}\n{b}", T0 + timedelta(days=i)) for i, (t, b) in enumerate(FUMES)]
    texts += [("a:1", "a", STORY, T0 + timedelta(hours=1))]  # analysed again: counted once
    items = [EventInput(m, s, text.split("\n")[0][:20], text, at, 3, 100) for m, s, text, at in texts]
    one_by_one: list[Any] = []
    batched: list[Any] = []
    for name, out in (("single", one_by_one), ("batch", batched)):
        url = workflow_url if name == "batch" else f"sqlite:///{tmp_path / 'single.sqlite3'}"
        upgrade(url)
        engine = make_engine(url)
        sessions = make_session_factory(engine)
        if name == "single":
            for item in items:
                with sessions.begin() as session:
                    out.append(assign_many(sql_index(session), [item], settings=EventSettings()))
        else:
            with sessions.begin() as session:
                out.append(assign_many(sql_index(session), items[:5], settings=EventSettings()))
            with sessions.begin() as session:
                out.append(assign_many(sql_index(session), items[5:], settings=EventSettings()))
        with sessions() as session:
            rows = sorted((e.id, e.copies, sorted(e.sources), e.replies, e.views) for e in session.query(Event))
        out.append(rows)
        engine.dispose()
    flat_single = [h for chunk in one_by_one[:-1] for h in chunk]
    flat_batch = [h for chunk in batched[:-1] for h in chunk]
    assert flat_batch == flat_single
    assert batched[-1] == one_by_one[-1]
    # In memory (`yuqing analyse`): the same events, counts and heat, with no database.
    memory = MemoryIndex()
    in_memory = [h for part in (items[:5], items[5:]) for h in assign_many(memory, part, settings=EventSettings())]
    assert in_memory == flat_single
    assert flat_batch[3].copies == 4 and flat_batch[3].copies_last_hour == 4
    assert flat_batch[-2].subject == "魅力之|油烟"


def test_the_job_takes_a_fresh_post_before_the_backlog(tmp_path: Path, workflow_url: str) -> None:
    """A post crawled behind a backlog is analysed in the very next batch, and each batch is reported as saved."""
    upgrade(workflow_url)
    engine = make_engine(workflow_url)
    sessions = make_session_factory(engine)
    config = load_config(Path(__file__).resolve().parents[2] / "config" / "example")
    store = SqliteMentionStore(tmp_path / "m.sqlite3")
    backlog = [NewMention("s", f"old{i}", f"http://x/old{i}", "", f"{t}（{i}）") for i, t in enumerate(OTHERS * 4)]
    store.upsert_many(backlog, now=T0)
    store.upsert_many([NewMention("s", "fresh", "http://x/fresh", "", STORY)], now=T0 + timedelta(minutes=1))
    saved: list[list[str]] = []
    done = analyse_pending(
        store,
        Analyser(config),
        sessions=sessions,
        batch=4,
        max_batches=1,
        on_saved=lambda r: saved.append([k for k, _ in r]),
    )
    assert done == 4 and len(saved) == 1 and "s:fresh" in saved[0]
    assert sum(k.startswith("s:old") for k in saved[0]) == 3  # the rest of the batch is the oldest backlog
    store.close()
    engine.dispose()


def test_the_job_reuses_the_indexed_tokens_with_the_same_result(tmp_path: Path) -> None:
    """First analyses take their words from the tokens the store indexed at ingest; the analysis is exactly the
    one segmenting again gives. A re-analysis (after a configuration change) segments again."""
    from analysis.job import _cuts, next_batch

    config = load_config(Path(__file__).resolve().parents[2] / "config" / "example")
    analyser = Analyser(config)
    store = SqliteMentionStore(tmp_path / "m.sqlite3")
    posts = [("城关一中食堂饭菜变质", STORY), ("", STORY + "学生家长。" + OTHERS[0]), ("", OTHERS[2])]
    store.upsert_many([NewMention("s", str(i), f"http://x/{i}", t, c) for i, (t, c) in enumerate(posts)])
    batch = next_batch(store, 10)
    pending = [m for m, _ in batch]
    assert [m.id for m in pending] == [m.id for m in store.pending_analysis(10)]
    assert all(tokens == store.index_tokens([m.id])[m.id] for m, tokens in batch)  # what was indexed, read along
    cuts = _cuts(batch)
    assert set(cuts) == {m.id for m in pending}
    for m in pending:
        given = analyser.analyse(title=m.title, content=m.content, cut=cuts[m.id])
        assert given == analyser.analyse(title=m.title, content=m.content)
    analyse_pending(store, analyser)
    store.request_reanalysis()
    assert _cuts(next_batch(store, 10)) == {}
    store.close()
