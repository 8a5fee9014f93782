"""The crawler-bookkeeping half of the Elasticsearch store (`store.mentions.model.CrawlBookkeeping`): writing
what a crawl found, heat over time, removals, what to revisit, the high-water mark and same-text duplicates. A
mixin of ElasticMentionStore, kept apart from search and analysis (as sqlite_crawl is for the embedded store)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from elasticsearch import helpers

from store.mentions.elastic_docs import RANK, Doc, Outcome, apply_counts, apply_crawl, check_times, count_history, iso
from store.mentions.model import CountSnapshot, CountUpdate, Mention, NewMention, UpsertResult

if TYPE_CHECKING:
    from elasticsearch import Elasticsearch

    from store.mentions.elastic_schema import IndexNames

_CHUNK = 500
_ALIAS_PREFIX = "alias:"  # meta documents naming a post found again under another id


@dataclass
class Stored:
    """A document as read for a conditional write: where it lives and its sequence numbers."""

    index: str
    seq_no: int
    primary_term: int
    doc: Doc


class ElasticCrawlStateMixin:
    if TYPE_CHECKING:  # provided by ElasticMentionStore

        def _search(self, body: dict[str, Any], *, index: str | None = None) -> dict[str, Any]: ...
        def _lookup(self, ids: list[str]) -> dict[str, Stored]: ...
        def _hits(self, body: dict[str, Any]) -> list[Mention]: ...
        def _apply(self, ids: list[str], change: Callable[[str, Doc | None], Doc | None]) -> None: ...
        def _guard(self) -> AbstractContextManager[None]: ...

        client: Elasticsearch
        names: IndexNames
        url: str

    # --- writing what a crawl found ----------------------------------------------------------------------

    def upsert_many(self, mentions: list[NewMention], *, now: datetime | None = None) -> UpsertResult:
        check_times(mentions)
        stamp = iso(now or datetime.now(UTC))
        by_id: dict[str, list[NewMention]] = {}
        for m in mentions:
            by_id.setdefault(m.id, []).append(m)
        outcome: dict[str, Outcome] = {}

        def change(key: str, doc: Doc | None) -> Doc | None:
            best: Outcome | None = None
            for m in by_id[key]:  # the same post twice in one batch: applied in order, reported once
                status, doc = apply_crawl(doc, m, stamp)
                if best is None or RANK[status] > RANK[best]:
                    best = status
            assert best is not None and doc is not None
            outcome[key] = best
            return doc

        self._apply(list(by_id), change)
        return UpsertResult(
            created=[k for k, v in outcome.items() if v == "created"],
            updated=[k for k, v in outcome.items() if v == "updated"],
            unchanged=[k for k, v in outcome.items() if v == "unchanged"],
        )

    # --- duplicates found by the crawlers (kept in the meta index) ---------------------------------------

    def add_aliases(self, aliases: Mapping[str, str]) -> None:
        """Kept in the meta index as `alias:<id>` documents; `create` leaves an existing one as it is."""
        if not aliases:
            return
        actions = [
            {"_op_type": "create", "_index": self.names.meta, "_id": f"{_ALIAS_PREFIX}{alias}", "alias_of": owner}
            for alias, owner in aliases.items()
        ]
        with self._guard():
            for ok, item in helpers.streaming_bulk(
                self.client, actions, raise_on_error=False, raise_on_exception=False, chunk_size=_CHUNK
            ):
                status = next(iter(item.values())).get("status", 0)
                if not ok and status != 409:  # 409: the alias is known already
                    raise RuntimeError(f"could not store an alias on {self.url}: {item}")

    def known_ids(self, ids: list[str]) -> set[str]:
        unique = list(dict.fromkeys(ids))
        known = set(self._lookup(unique))
        rest = [i for i in unique if i not in known]
        for start in range(0, len(rest), _CHUNK):
            chunk = rest[start : start + _CHUNK]
            with self._guard():
                answer = self.client.mget(index=self.names.meta, ids=[f"{_ALIAS_PREFIX}{i}" for i in chunk])
            known.update(d["_id"].removeprefix(_ALIAS_PREFIX) for d in answer["docs"] if d.get("found"))
        return known

    # --- heat, removals, revisits, duplicates ---------------------------------------------------------------

    def record_counts(self, updates: list[CountUpdate], *, now: datetime | None = None) -> int:
        stamp = iso(now or datetime.now(UTC))
        by_id: dict[str, list[CountUpdate]] = {}
        for u in updates:
            by_id.setdefault(u.mention_id, []).append(u)
        changed: dict[str, int] = {}

        def change(key: str, doc: Doc | None) -> Doc | None:
            if doc is None:  # unknown ids are ignored
                return None
            changed[key] = 0
            for u in by_id[key]:
                moved, doc = apply_counts(doc, u, stamp)
                changed[key] += int(moved)
            return doc

        self._apply(list(by_id), change)
        return sum(changed.values())

    def count_history(self, mention_id: str) -> list[CountSnapshot]:
        found = self._lookup([mention_id])
        return count_history(found[mention_id].doc) if mention_id in found else []

    def mark_deleted(self, mention_ids: list[str], *, now: datetime | None = None) -> int:
        stamp = iso(now or datetime.now(UTC))
        marked: set[str] = set()

        def change(key: str, doc: Doc | None) -> Doc | None:
            marked.discard(key)
            if doc is None or doc.get("deleted_at") is not None:
                return None
            marked.add(key)
            return {**doc, "deleted_at": stamp, "last_seen_at": stamp}

        self._apply(mention_ids, change)
        return len(marked)

    def mark_seen(self, mention_ids: list[str], *, now: datetime | None = None) -> None:
        stamp = iso(now or datetime.now(UTC))
        self._apply(mention_ids, lambda _key, doc: None if doc is None else {**doc, "last_seen_at": stamp})

    def revisit_due(
        self, source: str, *, published_since: datetime, seen_before: datetime, limit: int
    ) -> list[Mention]:
        if limit <= 0:
            return []
        since, before = iso(published_since), iso(seen_before)
        published = {
            "bool": {
                "should": [
                    {"range": {"published_at": {"gte": since}}},
                    {
                        "bool": {
                            "must_not": [{"exists": {"field": "published_at"}}],
                            "filter": [{"range": {"discovered_at": {"gte": since}}}],
                        }
                    },
                ],
                "minimum_should_match": 1,
            }
        }
        unseen = {
            "bool": {
                "should": [
                    {"range": {"last_seen_at": {"lt": before}}},
                    {"bool": {"must_not": [{"exists": {"field": "last_seen_at"}}]}},
                ],
                "minimum_should_match": 1,
            }
        }
        return self._hits(
            {
                "query": {
                    "bool": {
                        "filter": [{"term": {"source": source}}, published, unseen],
                        "must_not": [{"exists": {"field": "deleted_at"}}],
                    }
                },
                "sort": [
                    {"last_seen_at": {"order": "asc", "missing": "_first"}},
                    {"discovered_at": {"order": "asc"}},
                    {"id": {"order": "asc"}},
                ],
                "size": limit,
            }
        )

    def same_content(self, source: str, hashes: list[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        unique = list(dict.fromkeys(hashes))
        for start in range(0, len(unique), _CHUNK):
            chunk = unique[start : start + _CHUNK]
            response = self._search(
                {
                    "query": {"bool": {"filter": [{"term": {"source": source}}, {"terms": {"content_hash": chunk}}]}},
                    "collapse": {"field": "content_hash"},  # one hit per text: the smallest id
                    "sort": [{"id": {"order": "asc"}}],
                    "size": len(chunk),
                    "_source": ["id", "content_hash"],
                }
            )
            for hit in response["hits"]["hits"]:
                found[hit["_source"]["content_hash"]] = hit["_source"]["id"]
        return found

    def latest_published(self, source: str) -> datetime | None:
        hits = self._search(
            {
                "query": {"bool": {"filter": [{"term": {"source": source}}, {"exists": {"field": "published_at"}}]}},
                "sort": [{"published_at": {"order": "desc"}}],
                "size": 1,
                "_source": ["published_at"],
            }
        )["hits"]["hits"]
        if not hits:
            return None
        return datetime.fromisoformat(hits[0]["_source"]["published_at"]).astimezone(UTC)
