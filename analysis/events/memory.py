"""An event index in memory: events among the texts of one run (`yuqing analyse`), no database at all."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import TypeVar

from analysis.events.index import BandKey, Member, Posting, Story, hold_all, recent_postings
from analysis.events.minhash import Signature, band_rows

_K = TypeVar("_K", BandKey, str)


class MemoryIndex:
    """Everything written stays until the index is dropped (no pruning: a run is short)."""

    def __init__(self) -> None:
        self._members: dict[str, tuple[str, float]] = {}
        self._signatures: dict[str, Signature] = {}
        self._bands: dict[BandKey, Posting | list[Posting]] = {}
        self._keys: dict[str, list[Posting]] = {}
        self._stories: dict[str, Story] = {}
        self._times: dict[str, list[datetime]] = {}

    def band_keys(self, sig: Signature) -> list[BandKey]:
        # The bands' bytes: nothing to store, so no hashing (blake2b was a third of the step in memory).
        return list(band_rows(sig))

    def members(self, mention_ids: Sequence[str]) -> dict[str, tuple[str, float]]:
        return {m: self._members[m] for m in mention_ids if m in self._members}

    def band_postings(self, keys: Collection[BandKey], since: datetime) -> dict[BandKey, list[Posting]]:
        return recent_postings(self._bands, keys, since)

    def key_postings(self, keys: Collection[str], since: datetime) -> dict[str, list[Posting]]:
        return _postings(self._keys, keys, since)

    def signatures(self, mention_ids: Collection[str]) -> dict[str, Signature]:
        return {m: self._signatures[m] for m in mention_ids if m in self._signatures}

    def stories(self, event_ids: Collection[str]) -> dict[str, Story]:
        # Copies: the batch changes them, and a batch that fails must leave the index as it was.
        return {e: _copy(self._stories[e]) for e in event_ids}

    def times(self, event_ids: Collection[str], after: datetime, until: datetime) -> dict[str, list[datetime]]:
        found: dict[str, list[datetime]] = {}
        for event_id in event_ids:
            inside = [t for t in self._times.get(event_id, ()) if after < t <= until]
            if inside:
                found[event_id] = inside
        return found

    def write(self, stories: Collection[Story], members: Sequence[Member]) -> None:
        for story in stories:
            if story.new or story.changed:
                kept = self._stories[story.id] = _copy(story)
                kept.new = kept.changed = False
        bands, keys = self._bands, self._keys
        for member in members:
            self._members[member.mention_id] = (member.event_id, member.similarity)
            self._signatures[member.mention_id] = member.signature
            self._times.setdefault(member.event_id, []).append(member.discovered_at)
            posting = Posting(member.mention_id, member.event_id, member.discovered_at)
            hold_all(bands, member.bands, posting)
            for key in member.keys:
                keys.setdefault(key, []).append(posting)


def _copy(story: Story) -> Story:
    """dataclasses.replace without its per-call field walk (a story a mention)."""
    return Story(
        story.id,
        story.title,
        story.first_seen_at,
        story.last_seen_at,
        story.copies,
        list(story.sources),
        story.replies,
        story.views,
        story.new,
        story.changed,
    )


def _postings(table: dict[_K, list[Posting]], keys: Collection[_K], since: datetime) -> dict[_K, list[Posting]]:
    found: dict[_K, list[Posting]] = {}
    for key in keys:
        postings = table.get(key)
        if postings:
            recent = [p for p in postings if p.seen_at >= since]
            if recent:
                found[key] = recent
    return found
