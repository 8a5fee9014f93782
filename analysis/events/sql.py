"""The event index over the workflow store (SQLite by default, PostgreSQL in production), inside the caller's
one transaction: each read is one statement for the whole batch (chunked IN lists), each table written with one
executemany.

On PostgreSQL, SQLAlchemy Core statements (its insertmanyvalues batches the rows). On SQLite the hot statements
go to the sqlite3 connection itself, each value through its column's own bind and result processors so the stored
strings are exactly SQLAlchemy's: SQLAlchemy's per-statement compilation and per-row handling cost more than
SQLite's own work; and the band keys are not stored there at all but held in memory (analysis/events/
sqlite_bands.py), read back from the members' signatures."""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Callable, Collection, Iterator, Sequence
from datetime import datetime
from typing import Any, TypeVar, cast

from sqlalchemy import LargeBinary, Table, bindparam, insert, select, update
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session

from analysis.events.index import BandKey, Member, Posting, Story
from analysis.events.minhash import Signature, band_keys, from_bytes, stored_band_rows, to_bytes
from analysis.events.models import Event, EventBand, EventKey, EventMember
from analysis.events.sqlite_bands import band_memory

_EVENTS = cast(Table, Event.__table__)
_MEMBERS = cast(Table, EventMember.__table__)
_BANDS = cast(Table, EventBand.__table__)
_KEYS = cast(Table, EventKey.__table__)
_CHUNK = 500  # bound parameters per IN list: far below SQLite's and PostgreSQL's limits
_T = TypeVar("_T")


def sql_index(session: Session) -> SqlIndex:
    """The index for the session's database, in the session's transaction."""
    name = session.connection().dialect.name
    if name == "sqlite":
        return SqliteIndex(session)
    if name == "postgresql" and session.connection().dialect.driver == "psycopg":
        return PostgresIndex(session)
    return SqlIndex(session)


def _chunks(values: Sequence[_T]) -> Iterator[Sequence[_T]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


class SqlIndex:
    """Core statements, any SQLAlchemy dialect."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def band_keys(self, sig: Signature) -> list[BandKey]:
        return list(dict.fromkeys(band_keys(sig)))  # the same key twice would break the table's primary key

    def members(self, mention_ids: Sequence[str]) -> dict[str, tuple[str, float]]:
        query = select(_MEMBERS.c.mention_id, _MEMBERS.c.event_id, _MEMBERS.c.similarity).where(
            _MEMBERS.c.mention_id.in_(bindparam("ids", expanding=True))
        )
        return {
            m: (e, s)
            for chunk in _chunks(list(mention_ids))
            for m, e, s in self.session.execute(query, {"ids": list(chunk)})
        }

    def band_postings(self, keys: Collection[BandKey], since: datetime) -> dict[BandKey, list[Posting]]:
        return self._postings(_BANDS, "band_key", keys, since)

    def key_postings(self, keys: Collection[str], since: datetime) -> dict[str, list[Posting]]:
        return self._postings(_KEYS, "story_key", keys, since)

    def _postings(self, table: Table, column: str, keys: Collection[Any], since: datetime) -> dict[Any, list[Posting]]:
        found: dict[Any, list[Posting]] = {}
        key = table.c[column]
        # An expanding parameter: the keys bound at execution, not coerced one by one into the statement.
        query = select(key, table.c.mention_id, table.c.event_id, table.c.seen_at).where(
            key.in_(bindparam("keys", expanding=True)), table.c.seen_at >= since
        )
        for chunk in _chunks(list(keys)):
            for k, mention_id, event_id, seen_at in self.session.execute(query, {"keys": list(chunk)}):
                found.setdefault(k, []).append(Posting(mention_id, event_id, seen_at))
        return found

    def signatures(self, mention_ids: Collection[str]) -> dict[str, Signature]:
        query = select(_MEMBERS.c.mention_id, _MEMBERS.c.signature).where(
            _MEMBERS.c.mention_id.in_(bindparam("ids", expanding=True))
        )
        return {
            m: from_bytes(raw)
            for chunk in _chunks(list(mention_ids))
            for m, raw in self.session.execute(query, {"ids": list(chunk)})
        }

    def stories(self, event_ids: Collection[str]) -> dict[str, Story]:
        """Locked (on PostgreSQL) until the batch commits: another analyser adding a copy at the same time waits
        instead of losing a count. In id order, so two batches never wait on each other."""
        stories: dict[str, Story] = {}
        for chunk in _chunks(sorted(event_ids)):
            query = select(_EVENTS).where(_EVENTS.c.id.in_(chunk)).order_by(_EVENTS.c.id).with_for_update()
            for r in self.session.execute(query):
                stories[r.id] = Story(
                    r.id, r.title, r.first_seen_at, r.last_seen_at, r.copies, list(r.sources or []), r.replies, r.views
                )
        return stories

    def times(self, event_ids: Collection[str], after: datetime, until: datetime) -> dict[str, list[datetime]]:
        found: dict[str, list[datetime]] = {}
        query = select(_MEMBERS.c.event_id, _MEMBERS.c.discovered_at).where(
            _MEMBERS.c.event_id.in_(bindparam("ids", expanding=True)),
            _MEMBERS.c.discovered_at > after,
            _MEMBERS.c.discovered_at <= until,
        )
        for chunk in _chunks(list(event_ids)):
            for event_id, at in self.session.execute(query, {"ids": list(chunk)}):
                found.setdefault(event_id, []).append(at)
        return found

    def write(self, stories: Collection[Story], members: Sequence[Member]) -> None:
        """Events first (members refer to them), then one executemany a table."""
        self._write(stories, members, with_bands=True)

    def _write(self, stories: Collection[Story], members: Sequence[Member], *, with_bands: bool) -> None:
        created = [_story_row(s) for s in stories if s.new]
        changed = [_story_change(s) for s in stories if s.changed and not s.new]
        if created:
            self._insert(_EVENTS, list(created[0]), [tuple(r.values()) for r in created])
        if changed:
            self._update_stories(changed)
        if members:
            self._insert(
                _MEMBERS,
                ["mention_id", "event_id", "source", "discovered_at", "similarity", "signature"],
                [(*m[:5], to_bytes(m.signature)) for m in members],
            )
        if with_bands:
            rows = [(b, *m[:2], m.discovered_at) for m in members for b in m.bands]
            if rows:
                self._insert(_BANDS, ["band_key", "mention_id", "event_id", "seen_at"], rows)
        keys = [(k, *m[:2], m.discovered_at) for m in members for k in m.keys]
        if keys:
            self._insert(_KEYS, ["story_key", "mention_id", "event_id", "seen_at"], keys)

    def _insert(self, table: Table, names: list[str], rows: Sequence[Sequence[Any]]) -> None:
        self.session.execute(insert(table), [dict(zip(names, row, strict=True)) for row in rows])

    def _update_stories(self, changed: list[dict[str, Any]]) -> None:
        self.session.execute(
            update(_EVENTS)
            .where(_EVENTS.c.id == bindparam("key"))
            .values(
                copies=bindparam("copies"),
                sources=bindparam("sources"),
                replies=bindparam("replies"),
                views=bindparam("views"),
                last_seen_at=bindparam("last_seen_at"),
            ),
            changed,
        )


def _story_row(s: Story) -> dict[str, Any]:
    return {
        "id": s.id,
        "title": s.title,
        "first_seen_at": s.first_seen_at,
        "last_seen_at": s.last_seen_at,
        "copies": s.copies,
        "sources": s.sources,
        "replies": s.replies,
        "views": s.views,
    }


def _story_change(s: Story) -> dict[str, Any]:
    return {
        "key": s.id,
        "copies": s.copies,
        "sources": s.sources,
        "replies": s.replies,
        "views": s.views,
        "last_seen_at": s.last_seen_at,
    }


Processor = Callable[[Any], Any]


class SqliteIndex(SqlIndex):
    """The same reads and writes on the sqlite3 connection of the session's transaction, band keys in memory
    (`event_bands` is neither written nor read on SQLite)."""

    def __init__(self, session: Session) -> None:
        super().__init__(session)
        connection = session.connection()
        self._bands = band_memory(connection.engine)
        self._dialect = connection.dialect
        self._raw = cast(sqlite3.Connection, connection.connection.driver_connection)
        # Stored times are strings (every UtcDateTime column alike); each distinct one parsed once per batch (a
        # mention's 20 band rows share one).
        self._time_in = _result_processor(_BANDS, "seen_at", self._dialect)
        self._parsed: dict[str, datetime] = {}
        self._computed: dict[bytes, list[bytes]] = {}  # stored signature -> its band keys, as computed here

    def _time(self, value: str) -> datetime:
        found = self._parsed.get(value)
        if found is None:
            found = self._parsed[value] = self._time_in(value)
        return found

    def _bound_time(self, value: datetime) -> Any:
        return _bind_processor(_BANDS, "seen_at", self._dialect)(value)

    def _select(self, sql: str, values: Sequence[Any], *extra: Any) -> Iterator[tuple[Any, ...]]:
        """Rows of `sql` (its IN list written as {marks}) for every chunk of `values`."""
        for chunk in _chunks(list(values)):
            yield from self._raw.execute(sql.format(marks=",".join("?" * len(chunk))), (*chunk, *extra))

    def band_keys(self, sig: Signature) -> list[BandKey]:
        raw = to_bytes(sig)
        keys = self._computed[raw] = stored_band_rows(raw)  # the bands' bytes, as the memory holds them
        return list(keys)

    def band_postings(self, keys: Collection[BandKey], since: datetime) -> dict[BandKey, list[Posting]]:
        found = self._bands.postings(
            self._raw, cast(Collection[bytes], keys), since, bound=self._bound_time, parse=self._time
        )
        return cast(dict[BandKey, list[Posting]], found)

    def write(self, stories: Collection[Story], members: Sequence[Member]) -> None:
        self._write(stories, members, with_bands=False)
        # The band keys this index computed for their signatures: kept for reading these members back.
        computed = self._computed
        self._bands.remember((raw, computed[raw]) for m in members if (raw := to_bytes(m.signature)) in computed)

    def members(self, mention_ids: Sequence[str]) -> dict[str, tuple[str, float]]:
        sql = "SELECT mention_id, event_id, similarity FROM event_members WHERE mention_id IN ({marks})"
        return {m: (e, s) for m, e, s in self._select(sql, mention_ids)}

    def _postings(self, table: Table, column: str, keys: Collection[Any], since: datetime) -> dict[Any, list[Posting]]:
        found: dict[Any, list[Posting]] = {}
        sql = (
            f"SELECT {column}, mention_id, event_id, seen_at FROM {table.name}"
            f" WHERE {column} IN ({{marks}}) AND seen_at >= ?"
        )
        time = self._time
        for k, mention_id, event_id, seen_at in self._select(sql, list(keys), self._bound_time(since)):
            found.setdefault(k, []).append(Posting(mention_id, event_id, time(seen_at)))
        return found

    def signatures(self, mention_ids: Collection[str]) -> dict[str, Signature]:
        sql = "SELECT mention_id, signature FROM event_members WHERE mention_id IN ({marks})"
        return {m: from_bytes(raw) for m, raw in self._select(sql, list(mention_ids))}

    def stories(self, event_ids: Collection[str]) -> dict[str, Story]:
        sql = (
            "SELECT id, title, first_seen_at, last_seen_at, copies, sources, replies, views FROM events"
            " WHERE id IN ({marks})"
        )
        sources = _result_processor(_EVENTS, "sources", self._dialect)
        return {
            r[0]: Story(r[0], r[1], self._time(r[2]), self._time(r[3]), r[4], list(sources(r[5]) or []), r[6], r[7])
            for r in self._select(sql, sorted(event_ids))
        }

    def times(self, event_ids: Collection[str], after: datetime, until: datetime) -> dict[str, list[datetime]]:
        sql = (
            "SELECT event_id, discovered_at FROM event_members"
            " WHERE event_id IN ({marks}) AND discovered_at > ? AND discovered_at <= ?"
        )
        found: dict[str, list[datetime]] = {}
        bounds = (self._bound_time(after), self._bound_time(until))
        for event_id, at in self._select(sql, list(event_ids), *bounds):
            found.setdefault(event_id, []).append(self._time(at))
        return found

    def _insert(self, table: Table, names: list[str], rows: Sequence[Sequence[Any]]) -> None:
        """insert(table) with the driver's executemany, each value through its column's bind processor; a batch
        has few distinct times, so each is formatted once."""
        columns: list[Sequence[Any]] = []
        for i, name in enumerate(names):
            column: Sequence[Any] = [row[i] for row in rows]
            process = _bind_processor(table, name, self._dialect)
            if process is not None:
                memo: dict[Any, Any] = {}
                if isinstance(column[0], datetime):
                    column = [memo[v] if v in memo else memo.setdefault(v, process(v)) for v in column]
                elif isinstance(column[0], list):  # JSON (a story's sources): most are one source, each made once
                    column = [memo[k] if (k := tuple(v)) in memo else memo.setdefault(k, process(v)) for v in column]
                else:
                    column = [process(v) for v in column]
            columns.append(column)
        sql = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"
        self._raw.executemany(sql, zip(*columns, strict=True))

    def _update_stories(self, changed: list[dict[str, Any]]) -> None:
        names = ["copies", "sources", "replies", "views", "last_seen_at", "key"]
        processors = [_bind_processor(_EVENTS, n, self._dialect) if n != "key" else None for n in names]
        self._raw.executemany(
            "UPDATE events SET copies = ?, sources = ?, replies = ?, views = ?, last_seen_at = ? WHERE id = ?",
            [tuple(c[n] if p is None else p(c[n]) for n, p in zip(names, processors, strict=True)) for c in changed],
        )


_PROCESSORS: dict[tuple[str, str, str, str], Any] = {}


def _bind_processor(table: Table, column: str, dialect: Dialect) -> Any:
    """The column type's own bind processor for the dialect (None when values go through as they are)."""
    key = ("bind", table.name, column, dialect.name)
    if key not in _PROCESSORS:
        _PROCESSORS[key] = table.c[column].type.dialect_impl(dialect).bind_processor(dialect)
    return _PROCESSORS[key]


def _result_processor(table: Table, column: str, dialect: Dialect) -> Processor:
    key = ("result", table.name, column, dialect.name)
    if key not in _PROCESSORS:
        process = table.c[column].type.dialect_impl(dialect).result_processor(dialect, None)
        _PROCESSORS[key] = process if process is not None else (lambda value: value)
    return cast(Processor, _PROCESSORS[key])


class PostgresIndex(SqlIndex):
    """SqlIndex on PostgreSQL through psycopg in the session's transaction, for the statements that carry a row or
    a key per band or per mention: rows written with COPY (members, band keys and story keys as COPY's own text),
    and postings, members, signatures and times read with one array parameter (`= ANY(%s)`) instead of an expanded
    IN list. SQLAlchemy's per-row parameter handling was most of the job's CPU here (~360 µs a mention writing ~20
    band rows); each value still goes through its column's bind and result processors, so rows and reads are the
    ones Core gives."""

    # Every table the batch inserts into: psycopg dumps what the bind processors give (JSON as its Json wrapper).
    _COPIED = frozenset({"events", "event_members", "event_bands", "event_keys"})
    _AS_TEXT = frozenset({"event_members", "event_bands", "event_keys"})  # no JSON: see _copy_field

    def __init__(self, session: Session) -> None:
        super().__init__(session)
        connection = session.connection()
        self._dialect = connection.dialect
        self._raw = cast(Any, connection.connection.driver_connection)

    def _insert(self, table: Table, names: list[str], rows: Sequence[Sequence[Any]]) -> None:
        if table.name not in self._COPIED:
            super()._insert(table, names, rows)
            return
        processors = [_bind_processor(table, name, self._dialect) for name in names]
        memo: dict[Any, Any] = {}  # a batch has few distinct times: each converted once
        with self._raw.cursor() as cursor, cursor.copy(f"COPY {table.name} ({', '.join(names)}) FROM STDIN") as copy:
            if table.name in self._AS_TEXT:
                # ~20 band rows a mention: COPY's text written here in one piece (write_row is ~10 µs a row).
                # Bytes as they are: the dialect's processor only wraps them for the driver (psycopg's Binary).
                processors = [
                    None if isinstance(table.c[name].type, LargeBinary) else process
                    for name, process in zip(names, processors, strict=True)
                ]
                fields: dict[Any, str] = {}
                copy.write(
                    "".join(
                        "\t".join(
                            [_copy_field(_bound(v, p, memo), fields) for v, p in zip(row, processors, strict=True)]
                        )
                        + "\n"
                        for row in rows
                    )
                )
            else:
                for row in rows:
                    copy.write_row([_bound(v, process, memo) for v, process in zip(row, processors, strict=True)])

    def _rows(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        with self._raw.cursor() as cursor:
            return cast(list[tuple[Any, ...]], cursor.execute(sql, params).fetchall())

    def members(self, mention_ids: Sequence[str]) -> dict[str, tuple[str, float]]:
        sql = "SELECT mention_id, event_id, similarity FROM event_members WHERE mention_id = ANY(%s)"
        return {m: (e, s) for m, e, s in self._rows(sql, list(mention_ids))} if mention_ids else {}

    def signatures(self, mention_ids: Collection[str]) -> dict[str, Signature]:
        sql = "SELECT mention_id, signature FROM event_members WHERE mention_id = ANY(%s)"
        return {m: from_bytes(raw) for m, raw in self._rows(sql, list(mention_ids))} if mention_ids else {}

    def times(self, event_ids: Collection[str], after: datetime, until: datetime) -> dict[str, list[datetime]]:
        found: dict[str, list[datetime]] = {}
        if not event_ids:
            return found
        bound = _bind_processor(_MEMBERS, "discovered_at", self._dialect)
        seen = _result_processor(_MEMBERS, "discovered_at", self._dialect)
        sql = (
            "SELECT event_id, discovered_at FROM event_members"
            " WHERE event_id = ANY(%s) AND discovered_at > %s AND discovered_at <= %s"
        )
        for event_id, at in self._rows(sql, list(event_ids), bound(after), bound(until)):
            found.setdefault(event_id, []).append(seen(at))
        return found

    def _postings(self, table: Table, column: str, keys: Collection[Any], since: datetime) -> dict[Any, list[Posting]]:
        found: dict[Any, list[Posting]] = {}
        if not keys:
            return found
        bound = _bind_processor(table, "seen_at", self._dialect)
        seen = _result_processor(table, "seen_at", self._dialect)
        sql = (
            f"SELECT {column}, mention_id, event_id, seen_at FROM {table.name}"
            f" WHERE {column} = ANY(%s) AND seen_at >= %s"
        )
        parsed: dict[datetime, datetime] = {}
        with self._raw.cursor() as cursor:
            for k, mention_id, event_id, at in cursor.execute(sql, (list(keys), bound(since) if bound else since)):
                when = parsed.get(at)
                if when is None:
                    when = parsed[at] = seen(at)
                found.setdefault(k, []).append(Posting(mention_id, event_id, when))
        return found


def _bound(value: Any, process: Processor | None, memo: dict[Any, Any]) -> Any:
    if process is None:
        return value
    if isinstance(value, datetime):
        found = memo.get(value)
        if found is None:
            found = memo[value] = process(value)
        return found
    return process(value)


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"})


def _copy_field(value: Any, fields: dict[Any, str]) -> str:
    """A value as a field of COPY's text format, parsed back by PostgreSQL to the value: integers, finite floats
    (repr: the shortest text that reads back exactly), strings with their backslash escapes, aware times as
    ISO 8601 with their offset, bytes as bytea's hex. Strings and times repeat within a batch: each made once."""
    if isinstance(value, str | datetime):
        found = fields.get(value)
        if found is None:
            found = fields[value] = value.translate(_COPY_ESCAPES) if isinstance(value, str) else value.isoformat()
        return found
    if value is None:
        return "\\N"
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and math.isfinite(value):
        return repr(value)
    if isinstance(value, bytes):
        return "\\\\x" + value.hex()  # COPY reads \\ as one backslash: bytea's \x
    raise TypeError(f"no COPY text for {value!r}")
