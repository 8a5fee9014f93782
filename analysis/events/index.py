"""What the event step reads and writes, behind one interface: the stories, their members and signatures, and
the band and story keys a new mention can join through.

`assign_many` (analysis/events/service.py) runs the same algorithm over any index: `SqlIndex` (analysis/events/
sql.py) over the workflow store for the service, `MemoryIndex` (analysis/events/memory.py) for texts analysed
outside it (`yuqing analyse`: events among the given texts, no database)."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple, Protocol, TypeAlias, TypeVar

from analysis.events.minhash import Signature

BandKey: TypeAlias = int | bytes  # stored 64-bit keys in the database, the bands' own bytes in memory


@dataclass
class Story:
    """An event's row as a batch sees it; written back once at the end of the batch."""

    id: str
    title: str
    first_seen_at: datetime
    last_seen_at: datetime
    copies: int
    sources: list[str]
    replies: int
    views: int
    new: bool = False
    changed: bool = False


class Posting(NamedTuple):
    """A mention stored under a band key or a story key."""

    mention_id: str
    event_id: str
    seen_at: datetime


_K = TypeVar("_K")


def hold_all(bands: MutableMapping[_K, Posting | list[Posting]], keys: Iterable[_K], posting: Posting) -> None:
    """Add `posting` under each of `keys` as `recent_postings` reads it: bare while it is a key's only one, a list
    once the key is shared (most band keys are one mention's; a list each made the collector's passes a third of
    the events step). A member's ~20 keys in one call."""
    setdefault = bands.setdefault
    for key in keys:
        held = setdefault(key, posting)
        if held is not posting:
            if isinstance(held, list):
                held.append(posting)
            else:
                bands[key] = [held, posting]


def recent_postings(
    bands: Mapping[_K, Posting | list[Posting]], keys: Collection[_K], since: datetime
) -> dict[_K, list[Posting]]:
    """The postings under each key seen at or after `since`. A key held by one mention stores its Posting bare
    (most band keys are: no list a key)."""
    found: dict[_K, list[Posting]] = {}
    for key in keys:
        held = bands.get(key)
        if held is None:
            continue
        if not isinstance(held, list):
            if held.seen_at >= since:
                found[key] = [held]
        elif recent := [p for p in held if p.seen_at >= since]:
            found[key] = recent
    return found


class Member(NamedTuple):
    """A mention's membership of its event, with the band keys and story keys it is found by, as written."""

    mention_id: str
    event_id: str
    source: str
    discovered_at: datetime
    similarity: float
    signature: Signature
    bands: Sequence[BandKey]
    keys: Sequence[str]


class EventIndex(Protocol):
    """Reads return fresh containers the caller may change; `write` stores a batch's rows."""

    def band_keys(self, sig: Signature) -> list[BandKey]:
        """The signature's LSH keys, each once, as this index stores them."""
        ...

    def members(self, mention_ids: Sequence[str]) -> dict[str, tuple[str, float]]:
        """mention -> (its event, its similarity) for the mentions already in an event."""
        ...

    def band_postings(self, keys: Collection[BandKey], since: datetime) -> dict[BandKey, list[Posting]]:
        """The mentions stored under each band key with seen_at >= since."""
        ...

    def key_postings(self, keys: Collection[str], since: datetime) -> dict[str, list[Posting]]:
        """The mentions stored under each story key with seen_at >= since."""
        ...

    def signatures(self, mention_ids: Collection[str]) -> dict[str, Signature]: ...

    def stories(self, event_ids: Collection[str]) -> dict[str, Story]:
        """The events, held (locked where the store can) until the batch is written."""
        ...

    def times(self, event_ids: Collection[str], after: datetime, until: datetime) -> dict[str, list[datetime]]:
        """When each event's members were discovered, for after < t <= until (the heat window of the batch)."""
        ...

    def write(self, stories: Collection[Story], members: Sequence[Member]) -> None:
        """The batch's rows: new and changed stories, new members with their band keys and story keys."""
        ...
