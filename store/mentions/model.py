"""What a mention is, what can be asked of the mention store, and the contract every backend keeps.

The interface is shaped for both backends: bulk upsert keyed by (source, post id), a query with filters and
aggregations, and search_after-style opaque cursors (Elasticsearch: search_after + point in time).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, Protocol


def mention_id(source: str, post_id: str) -> str:
    """The stable key of a mention: the same post crawled twice is the same mention."""
    return f"{source}:{post_id}"


@dataclass(frozen=True)
class OfficialReply:
    """The answer a board publishes under a complaint (网上信访, 百姓呼声): what the public was told, by which
    unit, when. Kept apart from the post's text and from its reply count."""

    text: str
    unit: str | None = None  # as the board names the replying office
    replied_at: datetime | None = None


def official_reply_doc(reply: OfficialReply | None) -> dict[str, str | None] | None:
    """The reply as both stores keep it: a small document, the time in ISO 8601."""
    if reply is None:
        return None
    when = reply.replied_at.isoformat() if reply.replied_at is not None else None
    return {"text": reply.text, "unit": reply.unit, "replied_at": when}


def official_reply_from_doc(doc: Mapping[str, object] | None) -> OfficialReply | None:
    if not doc or not doc.get("text"):
        return None
    when = doc.get("replied_at")
    unit = doc.get("unit")
    return OfficialReply(
        text=str(doc["text"]),
        unit=str(unit) if unit else None,
        replied_at=datetime.fromisoformat(when) if isinstance(when, str) and when else None,
    )


@dataclass(frozen=True)
class NewMention:
    """A post as a crawler found it. Times are timezone-aware (UTC or the source's zone)."""

    source: str
    post_id: str
    url: str
    title: str
    content: str
    author: str | None = None
    published_at: datetime | None = None
    reply_count: int | None = None
    view_count: int | None = None
    unit: str | None = None  # the source's default unit; analysis may attribute another
    up_votes: int | None = None  # 点赞/支持, where the board shows votes
    down_votes: int | None = None  # 反对
    status: str | None = None  # as the board shows it, e.g. 已回复/未回复
    notes: tuple[str, ...] = ()  # what the crawl noticed, e.g. the page was cut at the size limit
    official_reply: OfficialReply | None = None

    @property
    def id(self) -> str:
        return mention_id(self.source, self.post_id)


@dataclass(frozen=True)
class SchemeFlag:
    """Why a scheme flagged a mention: the scheme and the words it matched, with character offsets."""

    scheme: str
    words: list[str]
    positions: list[tuple[str, int]] = field(default_factory=list)  # (field name, offset in that field)


@dataclass(frozen=True)
class Analysis:
    tokens: list[str]
    sentiment: float  # [-1, 1]
    sentiment_label: Literal["negative", "neutral", "positive"]
    flags: list[SchemeFlag]
    level: int  # config.Level value, 0 when nothing flagged it
    unit: str | None
    explanation: list[str]
    event_id: str | None = None
    post_type: str | None = None  # 投诉/举报/求助/咨询/建议/表扬/其他 (analysis.grader.TYPES)
    facts: list[tuple[str, list[str]]] = field(default_factory=list)  # (analysis.facts id, the words that showed it)

    @property
    def schemes(self) -> list[str]:
        return [f.scheme for f in self.flags]


@dataclass(frozen=True)
class Mention:
    """A stored mention. `discovered_at` is set when first stored and never changes: the 30-minute clock uses it."""

    id: str
    source: str
    post_id: str
    url: str
    title: str
    content: str
    author: str | None
    published_at: datetime | None
    discovered_at: datetime
    updated_at: datetime
    reply_count: int | None
    view_count: int | None
    content_hash: str
    unit: str | None
    analysed_at: datetime | None = None
    analysis_seq: int | None = None  # increases with every saved analysis; alerting reads past a cursor on it
    analysis: Analysis | None = None
    status: str | None = None
    notes: tuple[str, ...] = ()
    last_seen_at: datetime | None = None  # the crawler last fetched or listed it
    deleted_at: datetime | None = None  # the board removed it (the text stays: a removed complaint is a signal)
    edits: int = 0  # times its text changed after discovery
    up_votes: int | None = None  # 点赞/支持 as the board last showed them
    down_votes: int | None = None  # 反对
    official_reply: OfficialReply | None = None


@dataclass(frozen=True)
class CountUpdate:
    """Replies and views of a known post as a list page shows them: heat without fetching the thread."""

    mention_id: str
    reply_count: int | None
    view_count: int | None
    status: str | None = None
    up_votes: int | None = None
    down_votes: int | None = None


@dataclass(frozen=True)
class CountSnapshot:
    at: datetime
    reply_count: int | None
    view_count: int | None


@dataclass(frozen=True)
class UpsertResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)  # content changed: analysis is reset so it runs again
    unchanged: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class DateHistogram:
    name: str
    field: Literal["published_at", "discovered_at"] = "discovered_at"
    interval: Literal["hour", "day"] = "day"


@dataclass(frozen=True)
class Terms:
    name: str
    field: Literal["source", "unit", "sentiment_label", "schemes", "level", "post_type"]
    size: int = 10


@dataclass(frozen=True)
class Bucket:
    key: str
    count: int


@dataclass(frozen=True)
class SearchQuery:
    """Full text in the analysts' query language plus filters; every filter is optional.

    `text`: words and "phrases" (each matches a post holding all its jieba tokens), AND (or a space), OR, NOT,
    parentheses — store.mentions.textsearch. A syntax error raises textquery.QuerySyntaxError (with the
    position), a query no store can run raises UnsupportedQuery; both are ValueErrors."""

    text: str | None = None
    since: datetime | None = None  # on discovered_at, inclusive
    until: datetime | None = None  # exclusive
    sources: tuple[str, ...] = ()
    units: tuple[str, ...] = ()
    sentiment_labels: tuple[str, ...] = ()
    schemes: tuple[str, ...] = ()
    min_level: int | None = None
    post_types: tuple[str, ...] = ()  # 投诉/举报/…: the analysis' post type; not analysed yet never passes
    events: tuple[str, ...] = ()  # the same story (analysis' event ids)
    size: int = 20
    cursor: str | None = None  # opaque, from SearchResult.next_cursor
    # time: discovered_at descending; relevance: with text, the words' weight (title counts more); heat: replies
    # × 10 + views, the hottest first. Ties, and relevance without text, in time order.
    sort: Literal["time", "relevance", "heat"] = "time"
    aggs: tuple[DateHistogram | Terms, ...] = ()
    highlight: bool = False  # with text: fragments of title and content with the words in <em>…</em>


@dataclass(frozen=True)
class SearchResult:
    total: int
    hits: list[Mention]
    next_cursor: str | None
    aggregations: dict[str, list[Bucket]] = field(default_factory=dict)
    # mention id -> field ("title", "content") -> HTML-escaped fragments, the query's words in <em>…</em>
    highlights: dict[str, dict[str, list[str]]] = field(default_factory=dict)


class MentionStoreUnavailable(RuntimeError):
    """The store cannot be reached or used as configured; the message names it (never its credentials)."""


class MentionSearch(Protocol):
    """The search-and-analysis interface: what the analysis job, alerting, briefings and the API read and write."""

    def get(self, mention_id: str) -> Mention | None: ...

    def get_many(self, mention_ids: list[str]) -> list[Mention]: ...

    def count(self) -> int: ...

    def pending_analysis(self, limit: int, *, newest_first: bool = False) -> list[Mention]:
        """Mentions not analysed yet (or changed since), oldest discovery first (newest first with
        `newest_first`: the analysis job's lane for fresh posts); then those queued for re-analysis, so a
        re-analysis never delays a new post."""
        ...

    def request_reanalysis(self, *, since: datetime | None = None, until: datetime | None = None) -> int:
        """Queue analysed mentions discovered in [since, until) for analysis again (after a scheme or model
        change); they keep their current analysis until the new one is saved. Returns how many."""
        ...

    def backlog(self) -> int: ...

    def save_analysis(self, results: list[tuple[str, Analysis]], *, now: datetime | None = None) -> None:
        """Store analyses atomically; each gets a new, increasing analysis_seq."""
        ...

    def analysed_since(self, seq: int, *, limit: int) -> list[Mention]:
        """Mentions whose analysis_seq > seq, in seq order: how alerting follows analysis without a callback."""
        ...

    def search(self, query: SearchQuery) -> SearchResult: ...

    def close(self) -> None: ...


class CrawlBookkeeping(Protocol):
    """The crawler-bookkeeping interface: what a crawl writes and keeps track of (crawlers/ only)."""

    def upsert_many(self, mentions: list[NewMention], *, now: datetime | None = None) -> UpsertResult:
        """`now` is the discovery time of new mentions (default: the clock); given for simulations and imports."""
        ...

    def record_counts(self, updates: list[CountUpdate], *, now: datetime | None = None) -> int:
        """Set replies/views (and status) of known mentions as a list page shows them; a change is kept in the
        count history. Unknown ids are ignored. Returns how many changed."""
        ...

    def count_history(self, mention_id: str) -> list[CountSnapshot]:
        """Replies and views over time, oldest first: heat per hour for events and briefings."""
        ...

    def mark_deleted(self, mention_ids: list[str], *, now: datetime | None = None) -> int:
        """The board removed these posts; they stay stored and searchable, marked. Returns how many newly."""
        ...

    def revisit_due(
        self, source: str, *, published_since: datetime, seen_before: datetime, limit: int
    ) -> list[Mention]:
        """Live mentions of `source` published (or, undated, discovered) since `published_since` and not fetched
        since `seen_before`, least recently seen first: threads whose replies, views and edits to look at again."""
        ...

    def mark_seen(self, mention_ids: list[str], *, now: datetime | None = None) -> None: ...

    def same_content(self, source: str, hashes: list[str]) -> dict[str, str]:
        """content hash -> id of a mention of `source` with that text: the same post under another URL."""
        ...

    def add_aliases(self, aliases: Mapping[str, str]) -> None:
        """Remember that each id (a post found again under another id, same text) is the stored mention named:
        known to the crawler from then on, never stored twice."""
        ...

    def known_ids(self, ids: list[str]) -> set[str]:
        """Which of these mention ids are stored, or aliases of stored ones: what a crawl need not fetch."""
        ...

    def latest_published(self, source: str) -> datetime | None:
        """The source's high-water mark: the newest publication time stored."""
        ...

    def close(self) -> None: ...


class MentionStore(MentionSearch, CrawlBookkeeping, Protocol):
    """Both interfaces, as each backend provides them (sqlite.py + sqlite_crawl.py; elastic.py + elastic_crawl.py):
    what the composition root opens (store.mentions.factory) and hands out as one or the other."""
