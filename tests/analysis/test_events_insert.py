"""The events step's rows written through SQLite's executemany are the rows SQLAlchemy's insert writes (the same
stored strings for times, bytes for signatures, JSON for lists), and band keys are the per-band blake2b digests."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import Table, create_engine, insert, text
from sqlalchemy.orm import Session

from analysis.events import minhash
from analysis.events.models import Event, EventBand, EventKey, EventMember
from analysis.events.service import _insert


def rows_for() -> dict[str, list[dict[str, Any]]]:
    at = datetime(2026, 11, 30, 8, 15, 1, 123456, tzinfo=UTC)
    other = datetime(2026, 11, 30, 16, 0, tzinfo=UTC) + timedelta(hours=8)
    sig = minhash.signature("城关第一中学随时可能倒塌，县教育局不管不问")
    assert sig is not None
    return {
        "events": [
            {
                "id": "e1",
                "title": "标题",
                "first_seen_at": at,
                "last_seen_at": other,
                "copies": 2,
                "sources": ["tieba", "微博"],
                "replies": 3,
                "views": 4,
            }
        ],
        "event_members": [
            {
                "mention_id": m,
                "event_id": "e1",
                "source": "tieba",
                "discovered_at": t,
                "similarity": 0.8,
                "signature": minhash.to_bytes(sig),
            }
            for m, t in (("m1", at), ("m2", other), ("m3", at))
        ],
        "event_bands": [
            {"band_key": k, "mention_id": m, "event_id": "e1", "seen_at": t}
            for m, t in (("m1", at), ("m2", other))
            for k in minhash.band_keys(sig)
        ],
    }


def stored(fast: bool) -> dict[str, list[tuple[Any, ...]]]:
    engine = create_engine("sqlite://")
    tables = Event.metadata.tables
    Event.metadata.create_all(
        engine, tables=[tables[m.__tablename__] for m in (Event, EventMember, EventBand, EventKey)]
    )
    with Session(engine) as session, session.begin():
        for name, rows in rows_for().items():
            table: Table = tables[name]
            if fast:
                _insert(session, table, rows)
            else:
                session.execute(insert(table), rows)
    with engine.connect() as conn:
        found = {
            name: list(map(tuple, conn.execute(text(f"SELECT * FROM {name} ORDER BY 1, 2")))) for name in rows_for()
        }
    engine.dispose()
    return found


def test_sqlite_fast_insert_stores_what_sqlalchemy_stores() -> None:
    fast, reference = stored(True), stored(False)
    assert fast == reference
    assert len(fast["event_bands"]) == 2 * minhash.BANDS
    assert all(isinstance(r[3], str) for r in fast["event_members"])  # times as SQLAlchemy's strings


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
