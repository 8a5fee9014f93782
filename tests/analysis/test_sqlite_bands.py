"""Band keys held in memory on SQLite (analysis/events/sqlite_bands.py) find what a stored band table would: members
another writer committed, none of a batch that rolled back, only those inside the window, after compaction too."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from analysis.events import sqlite_bands
from analysis.events.index import BandKey, Member, Posting, Story
from analysis.events.minhash import signature
from analysis.events.sql import SqliteIndex
from store.workflow import make_engine, make_session_factory
from store.workflow.migrate import upgrade

T0 = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
TEXT = "城关第一中学食堂饭菜发霉，多名学生上吐下泻，家长要求县教育局彻查"


def _write(session: Session, mention_id: str, at: datetime) -> list[BandKey]:
    index = SqliteIndex(session)
    sig = signature(TEXT)
    assert sig is not None
    keys = index.band_keys(sig)
    story = Story(mention_id, "标题", at, at, 1, ["a"], 0, 0, new=True)
    index.write([story], [Member(mention_id, mention_id, "a", at, 1.0, sig, keys, [])])
    return keys


def _found(session: Session, keys: list[BandKey], since: datetime) -> set[Posting]:
    return {p for found in SqliteIndex(session).band_postings(keys, since).values() for p in found}


def test_members_of_another_writer_are_found_and_a_rolled_back_batch_is_not(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'workflow.sqlite3'}"
    upgrade(url)
    ours, theirs = make_engine(url), make_engine(url)  # another process on the same file
    mine, other = make_session_factory(ours), make_session_factory(theirs)
    with mine.begin() as session:
        keys = _write(session, "a:1", T0)
    with mine() as session:
        assert {p.mention_id for p in _found(session, keys, T0)} == {"a:1"}
    with other.begin() as session:
        _write(session, "b:1", T0 + timedelta(minutes=5))
    with pytest.raises(RuntimeError), mine.begin() as session:
        _write(session, "c:1", T0 + timedelta(minutes=6))
        raise RuntimeError("the batch fails after its writes")
    with mine() as session:
        assert {p.mention_id for p in _found(session, keys, T0)} == {"a:1", "b:1"}
        assert {p.mention_id for p in _found(session, keys, T0 + timedelta(minutes=1))} == {"b:1"}
    ours.dispose()
    theirs.dispose()


def test_the_memory_drops_old_postings_and_reads_again_for_an_older_bound(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'workflow.sqlite3'}"
    upgrade(url)
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    with sessions.begin() as session:
        keys = _write(session, "a:1", T0)
        _write(session, "b:1", T0 + timedelta(days=2))
    late = T0 + timedelta(days=2) - timedelta(hours=1)
    with sessions() as session:
        assert {p.mention_id for p in _found(session, keys, T0)} == {"a:1", "b:1"}
        assert {p.mention_id for p in _found(session, keys, late)} == {"b:1"}  # compacts: a:1 is far behind
        held = sqlite_bands.band_memory(engine)._bands
        assert all(p.mention_id == "b:1" for v in held.values() for p in (v if isinstance(v, list) else [v]))
        assert {p.mention_id for p in _found(session, keys, T0)} == {"a:1", "b:1"}  # older than held: read again
    engine.dispose()
