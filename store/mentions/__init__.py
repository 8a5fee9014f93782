"""The mention store: one interface, an embedded SQLite + FTS5 backend and an Elasticsearch backend."""

from store.mentions.model import (
    Analysis,
    Bucket,
    CountSnapshot,
    CountUpdate,
    DateHistogram,
    Mention,
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
    "DateHistogram",
    "Mention",
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
