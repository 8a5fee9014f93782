"""Search request bodies for the Elasticsearch mention store, their cursors, and reading aggregations back.

The same query means the same thing on both backends: the analysts' boolean query (store.mentions.textsearch),
its words cut into jieba tokens here as for indexing, each token found in the title (weighted 3) or the body;
filters are exact; time order is discovery time descending with the id as tie-breaker; cursors are the sort
values of the last hit (search_after), with the point in time they were read in (relevance order; time order
needs none).
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from datetime import UTC, datetime
from typing import Any, Literal

from store.mentions.elastic_docs import iso
from store.mentions.model import Bucket, DateHistogram, SearchQuery, Terms
from store.mentions.textsearch import AllOf, Plan, Words, positive_tokens

MAX_PAGE_SIZE = 1000
TITLE_BOOST = 3.0
HIGHLIGHT_FIELDS = ("title", "content")
_INT64 = 2**63
Sort = Literal["time", "relevance", "heat"]
SCORED: tuple[Sort, ...] = ("relevance", "heat")  # a number first, then time order; read in a point in time


def has_text(query: SearchQuery) -> bool:
    return query.text is not None and bool(query.text.strip())


def check_sizes(query: SearchQuery) -> None:
    if not 1 <= query.size <= MAX_PAGE_SIZE:
        raise ValueError(f"size must be between 1 and {MAX_PAGE_SIZE}")
    for agg in query.aggs:
        if isinstance(agg, Terms) and not 1 <= agg.size <= MAX_PAGE_SIZE:
            raise ValueError(f"terms size must be between 1 and {MAX_PAGE_SIZE}")


def _word(token: str) -> dict[str, Any]:
    return {
        "bool": {
            "should": [
                {"term": {"title_tokens": {"value": token, "boost": TITLE_BOOST}}},
                {"term": {"content_tokens": {"value": token}}},
            ],
            "minimum_should_match": 1,
        }
    }


def text_clause(node: Plan) -> dict[str, Any]:
    """The analysts' boolean query over the token fields (store.mentions.textsearch)."""
    if isinstance(node, Words):
        words = [_word(t) for t in node.tokens]
        return words[0] if len(words) == 1 else {"bool": {"must": words}}
    if isinstance(node, AllOf):
        clause: dict[str, Any] = {"must": [text_clause(c) for c in node.required]}
        if node.excluded:
            clause["must_not"] = [text_clause(c) for c in node.excluded]
        return {"bool": clause}
    return {"bool": {"should": [text_clause(c) for c in node.options], "minimum_should_match": 1}}


def bool_query(query: SearchQuery, text: Plan | None) -> dict[str, Any]:
    filters: list[dict[str, Any]] = []
    when: dict[str, str] = {}
    if query.since is not None:
        when["gte"] = iso(query.since)
    if query.until is not None:
        when["lt"] = iso(query.until)
    if when:
        filters.append({"range": {"discovered_at": when}})
    for name, values in (
        ("source", query.sources),
        ("unit", query.units),
        ("sentiment_label", query.sentiment_labels),
        ("post_type", query.post_types),
        ("schemes", query.schemes),
        ("event_id", query.events),
    ):
        if values:
            filters.append({"terms": {name: list(values)}})
    if query.min_level is not None:  # not analysed yet means no level: such mentions do not pass
        filters.append({"range": {"level": {"gte": query.min_level}}})
    body: dict[str, Any] = {"filter": filters}
    if text is not None:
        flat = _required_tokens(text)
        # Words only (the common query): each token a clause of its own; else the query's tree.
        body["must"] = [_word(t) for t in flat] if flat is not None else [text_clause(text)]
    return {"bool": body}


def _required_tokens(node: Plan) -> list[str] | None:
    """The tokens of a query that is only words, all required; None for one with OR or NOT."""
    if isinstance(node, Words):
        return list(node.tokens)
    if isinstance(node, AllOf) and not node.excluded:
        tokens: list[str] = []
        for child in node.required:
            found = _required_tokens(child)
            if found is None:
                return None
            tokens.extend(t for t in found if t not in tokens)
        return tokens
    return None


def sort_clause(sort: Sort) -> list[dict[str, Any]]:
    time = [{"discovered_at": {"order": "desc"}}, {"id": {"order": "desc"}}]
    if sort == "heat":
        # The stored key (elastic_docs.heat): sorting on a field needs no script language on the cluster.
        return [{"heat": {"order": "desc", "missing": 0}}, *time]
    return [{"_score": {"order": "desc"}}, *time] if sort == "relevance" else time


def _aggregation(agg: DateHistogram | Terms) -> dict[str, Any]:
    if isinstance(agg, DateHistogram):
        return {
            "date_histogram": {
                "field": agg.field,
                "calendar_interval": agg.interval,
                "time_zone": "UTC",
                "min_doc_count": 1,
            }
        }
    # Most first, ties by key: the embedded store's order.
    return {"terms": {"field": agg.field, "size": agg.size, "order": [{"_count": "desc"}, {"_key": "asc"}]}}


def highlight_clause(tokens: list[str]) -> dict[str, Any]:
    """Highlight the raw text (standard analyzer: a phrase of Han characters) for each query word."""
    phrases = [{"match_phrase": {field: token}} for token in tokens for field in HIGHLIGHT_FIELDS]
    return {
        "pre_tags": ["<em>"],
        "post_tags": ["</em>"],
        "encoder": "html",
        "fields": {field: {"number_of_fragments": 3, "fragment_size": 120} for field in HIGHLIGHT_FIELDS},
        "highlight_query": {"bool": {"should": phrases, "minimum_should_match": 1}},
    }


def search_body(
    query: SearchQuery,
    text: Plan | None,
    sort: Sort,
    *,
    search_after: list[Any] | None,
    pit: dict[str, Any] | None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "query": bool_query(query, text),
        "sort": sort_clause(sort),
        "size": query.size + 1,  # one more hit tells whether a next page exists
        "track_total_hits": True,
        "seq_no_primary_term": False,
        "_source": {"excludes": ["title_tokens", "content_tokens"]},
    }
    if query.aggs:
        body["aggs"] = {agg.name: _aggregation(agg) for agg in query.aggs}
    tokens = positive_tokens(text)
    if tokens and query.highlight:
        body["highlight"] = highlight_clause(tokens)
    if search_after is not None:
        body["search_after"] = search_after
    if pit is not None:
        body["pit"] = pit
    return body


def read_aggregation(agg: DateHistogram | Terms, raw: dict[str, Any]) -> list[Bucket]:
    buckets = raw.get("buckets", [])
    if isinstance(agg, DateHistogram):
        return [
            Bucket(key=datetime.fromtimestamp(b["key"] / 1000, UTC).isoformat(), count=int(b["doc_count"]))
            for b in buckets
            if b["doc_count"] > 0
        ]
    return [Bucket(key=str(b["key"]), count=int(b["doc_count"])) for b in buckets]


# --- cursors ------------------------------------------------------------------------------------------------


def encode_cursor(sort: Sort, after: list[Any], *, pit: str | None, tie: int | None) -> str:
    """`after`: [discovered_at ms, id], or [score, discovered_at ms, id]; `pit`: the point in time the pages
    are read in, with `tie`, its implicit _shard_doc tie-breaker value of the last hit."""
    payload: dict[str, Any] = {"sort": sort, "after": after}
    if pit is not None:
        payload["pit"] = pit
        payload["tie"] = tie
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, sort: Sort) -> tuple[list[Any], str | None, int | None]:
    """(after, pit, tie); anything malformed is `ValueError("invalid cursor")`."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        payload = json.loads(raw)
    except (ValueError, binascii.Error):
        raise ValueError("invalid cursor") from None
    if not isinstance(payload, dict) or payload.get("sort") != sort or not isinstance(payload.get("after"), list):
        raise ValueError("invalid cursor")
    after: list[Any] = payload["after"]
    if sort in SCORED:
        if len(after) != 3 or not _is_score(after[0]):
            raise ValueError("invalid cursor")
        position = after[1:]
    else:
        position = after
    if len(position) != 2 or not _is_int64(position[0]) or not isinstance(position[1], str):
        raise ValueError("invalid cursor")
    pit, tie = payload.get("pit"), payload.get("tie")
    if pit is not None and (sort not in SCORED or not isinstance(pit, str) or not _is_int64(tie)):
        raise ValueError("invalid cursor")  # only relevance and heat pages are read in a point in time
    return after, pit, tie


def _is_int64(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and -_INT64 <= value < _INT64


def _is_score(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
