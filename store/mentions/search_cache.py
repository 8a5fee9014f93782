"""Recent search results of the embedded store, valid while the store's file is unchanged.

A room of dashboards asks the same few searches over and over; between two writes to the file every answer is
the same. Each entry is kept with the data version it was computed at (the caller reads it before searching,
so a result is never older than its version) and is served only while the version is unchanged: a write by
any connection or process makes every entry stale. Bounded in entries, least recently used first out."""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import replace

from store.mentions.model import SearchQuery, SearchResult

DEFAULT_ENTRIES = 256


class SearchCache:
    def __init__(self, entries: int = DEFAULT_ENTRIES) -> None:
        self._entries = max(0, entries)
        self._lock = threading.Lock()
        self._results: OrderedDict[SearchQuery, tuple[int, SearchResult]] = OrderedDict()

    def get(self, query: SearchQuery, version: int) -> SearchResult | None:
        with self._lock:
            found = self._results.get(query)
            if found is None:
                return None
            if found[0] != version:
                del self._results[query]
                return None
            self._results.move_to_end(query)
        return _copy(found[1])

    def put(self, query: SearchQuery, version: int, result: SearchResult) -> None:
        if not self._entries:
            return
        with self._lock:
            self._results[query] = (version, _copy(result))
            self._results.move_to_end(query)
            while len(self._results) > self._entries:
                self._results.popitem(last=False)


def _copy(result: SearchResult) -> SearchResult:
    """Fresh containers (mentions are frozen): a caller changing its lists cannot change what others get."""
    return replace(
        result,
        hits=list(result.hits),
        aggregations={name: list(buckets) for name, buckets in result.aggregations.items()},
        highlights={
            key: {name: list(found) for name, found in fields.items()} for key, fields in result.highlights.items()
        },
    )
