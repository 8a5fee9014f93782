"""The event index's SQLite statements on the driver store the rows SQLAlchemy's Core statements store (the same
strings for times, bytes for signatures, JSON for lists) and read back what Core reads; band keys are the per-band
blake2b digests where they are stored (not on SQLite: there they are held in memory, and found the same)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from analysis.events import minhash
from analysis.events.index import Member, Story
from analysis.events.models import Event, EventBand, EventKey, EventMember
from analysis.events.sql import PostgresIndex, SqlIndex, SqliteIndex

AT = datetime(2026, 11, 30, 8, 15, 1, 123456, tzinfo=UTC)
OTHER = datetime(2026, 11, 30, 16, 0, tzinfo=UTC) + timedelta(hours=8)
TABLES = ("events", "event_members", "event_bands", "event_keys")


def batch() -> tuple[list[Story], list[Member]]:
    sig = minhash.signature("城关第一中学随时可能倒塌，县教育局不管不问")
    assert sig is not None
    stories = [
        Story("e1", "标题", AT, OTHER, 2, ["tieba", "微博"], 3, 4, new=True),
        Story("e2", "另一个", AT, AT, 1, ["tieba"], 0, 0, new=True),
    ]
    bands = minhash.band_keys(sig)
    members = [
        Member("m1", "e1", "tieba", AT, 0.8, sig, bands, ["魅力之|油烟"]),
        Member("m2", "e1", "tieba", OTHER, 0.8, sig, bands, ["魅力之|噪音"]),
        Member("m3", "e1", "tieba", AT, 1.0, sig, bands, []),  # every member has its signature's bands
        # Characters COPY's text format escapes, in ids and keys.
        Member("m\\4\t\n\r", "e2", "tie\tba", OTHER, 1.0, sig, bands, ["a\\b\tc|d"]),
    ]
    return stories, members


def stored(fast: bool, url: str = "sqlite://") -> tuple[dict[str, list[tuple[Any, ...]]], list[Any]]:
    engine = create_engine(url)
    tables = Event.metadata.tables
    Event.metadata.create_all(
        engine, tables=[tables[m.__tablename__] for m in (Event, EventMember, EventBand, EventKey)]
    )
    kind: type[SqlIndex] = SqlIndex
    if fast:
        kind = SqliteIndex if url.startswith("sqlite") else PostgresIndex
    stories, members = batch()
    bands = members[0].bands
    with Session(engine) as session, session.begin():
        kind(session).write(stories, members)
    with Session(engine) as session, session.begin():
        index = kind(session)
        loaded = index.stories(["e1", "e2"])
        loaded["e1"].copies, loaded["e1"].sources, loaded["e1"].changed = 3, ["tieba", "微博", "b"], True
        index.write(list(loaded.values()), [])
    with Session(engine) as session:
        index = kind(session)
        sig = minhash.from_bytes(minhash.to_bytes(members[0].signature))
        keys = index.band_keys(sig)  # each band's key as this index finds it
        assert len(keys) == minhash.BANDS and (keys == bands) != (kind is SqliteIndex)
        unknown = b"x" if kind is SqliteIndex else 7
        early, late = (
            index.band_postings({*keys, unknown}, AT),
            index.band_postings(set(keys), AT + timedelta(seconds=1)),
        )
        read = [
            index.members(["m1", "m2", "x"]),
            [early.get(k) for k in [*keys, unknown]],
            [late.get(k) for k in keys],
            index.key_postings({"魅力之|油烟", "魅力之|噪音", "x", "a\\b\tc|d"}, AT),
            {m: s.tolist() for m, s in index.signatures(["m1", "m3", "x"]).items()},
            index.stories(["e1", "e2", "x"]),
            index.times(["e1", "e2"], AT - timedelta(hours=1), OTHER),
            index.times(["e1"], AT, OTHER),
        ]
    with engine.connect() as conn:
        found = {name: list(map(tuple, conn.execute(text(f"SELECT * FROM {name} ORDER BY 1, 2")))) for name in TABLES}
    engine.dispose()
    return found, read


def test_sqlite_driver_statements_store_and_read_what_core_does() -> None:
    (fast_rows, fast_read), (rows, read) = stored(True), stored(False)
    assert len(rows["event_bands"]) == 4 * minhash.BANDS and fast_rows.pop("event_bands") == []
    rows.pop("event_bands")
    assert fast_rows == rows
    assert fast_read == read
    assert read[1][-1] is None and len(read[1][0]) == 4 and len(read[2][0]) == 2
    assert all(isinstance(r[3], str) for r in fast_rows["event_members"])  # times as SQLAlchemy's strings
    assert fast_read[5]["e1"].copies == 3 and fast_read[5]["e1"].sources == ["tieba", "微博", "b"]
    assert fast_read[7] == {"e1": [OTHER]}  # after < t <= until
    assert all(p.seen_at == OTHER for found in fast_read[2] for p in found or ())


def test_band_keys_are_each_bands_blake2b() -> None:
    rng = np.random.default_rng(5)
    for _ in range(50):
        sig = rng.integers(0, 2**32, size=minhash.HASHES, dtype=np.uint64).astype(np.uint32)
        expected = []
        for band in range(minhash.BANDS):
            rows = sig[band * minhash.ROWS : (band + 1) * minhash.ROWS].tobytes()
            digest = hashlib.blake2b(bytes([band]) + rows, digest_size=8).digest()
            expected.append(int.from_bytes(digest, "big", signed=True))
        assert minhash.band_keys(sig) == expected
        assert minhash.band_keys(minhash.from_bytes(minhash.to_bytes(sig))) == expected


def test_postgres_copy_statements_store_and_read_what_core_does(pg_url: str) -> None:
    """On PostgreSQL the batch's rows go in with COPY (band and story keys as COPY's own text) and postings are
    read with one array parameter: the same rows, escapes included, and the same reads as Core's statements."""
    fast_rows, fast_read = stored(True, pg_url)
    engine = create_engine(pg_url)
    with engine.begin() as conn:
        for name in reversed(TABLES):
            conn.execute(text(f"DROP TABLE {name}"))
    engine.dispose()
    rows, read = stored(False, pg_url)
    assert fast_rows == rows and fast_read == read
    assert len(rows["event_bands"]) == 4 * minhash.BANDS and ("a\\b\tc|d", "m\\4\t\n\r") in {
        r[:2] for r in rows["event_keys"]
    }
