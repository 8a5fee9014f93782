"""What the crawlers keep track of in the Elasticsearch store: heat over time, removals, what to revisit, the
high-water mark and same-text duplicates. A mixin of ElasticMentionStore, kept apart from search and analysis
(as sqlite_crawl is for the embedded store)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from store.mentions.elastic_docs import Doc, apply_counts, count_history, iso
from store.mentions.model import CountSnapshot, CountUpdate, Mention

_CHUNK = 500


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
