"""The mention store: two interfaces (MentionSearch for search and analysis, CrawlBookkeeping for the crawlers;
MentionStore is both), an embedded SQLite + FTS5 backend and an Elasticsearch backend, each cut along them."""

from store.mentions.model import (
    Analysis,
    Bucket,
    CountSnapshot,
    CountUpdate,
    CrawlBookkeeping,
    DateHistogram,
    Mention,
    MentionSearch,
    MentionStore,
    MentionStoreUnavailable,
    NewMention,
    OfficialReply,
    SchemeFlag,
    SearchQuery,
    SearchResult,
    Terms,
    UpsertResult,
    mention_id,
)

__all__ = [
    "Analysis",
    "Bucket",
    "CountSnapshot",
    "CountUpdate",
    "CrawlBookkeeping",
    "DateHistogram",
    "Mention",
    "MentionSearch",
    "MentionStore",
    "MentionStoreUnavailable",
    "NewMention",
    "OfficialReply",
    "SchemeFlag",
    "SearchQuery",
    "SearchResult",
    "Terms",
    "UpsertResult",
    "mention_id",
]
