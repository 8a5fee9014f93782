"""A spider's view of the store (crawlers.context.StoredPosts): only its own source, read-only; the spider is
handed this view, never the store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from crawlers.context import StoredPosts
from store.mentions import NewMention
from store.mentions.sqlite import SqliteMentionStore

T0 = datetime(2026, 3, 5, 8, 0, tzinfo=UTC)


def _post(source: str, post_id: str, hours: int) -> NewMention:
    return NewMention(
        source=source,
        post_id=post_id,
        url=f"http://{source}.example/t/{post_id}",
        title=f"帖子{post_id}",
        content="正文",
        published_at=T0 + timedelta(hours=hours),
    )


def test_the_view_sees_only_its_own_source(tmp_path: Path) -> None:
    store = SqliteMentionStore(tmp_path / "m.sqlite3")
    try:
        store.upsert_many([_post("a", "1", 0), _post("a", "2", 1), _post("b", "3", 5)], now=T0 + timedelta(hours=6))
        view = StoredPosts("a", store)
        assert view.latest_published() == T0 + timedelta(hours=1)  # not b's newer post
        assert view.known(["1", "2", "3", "9"]) == {"1", "2"}  # b's post 3 is not a's
        due = view.revisit_due(published_since=T0 - timedelta(days=1), seen_before=T0 + timedelta(days=1), limit=10)
        assert sorted(m.post_id for m in due) == ["1", "2"]
        assert StoredPosts("c", store).latest_published() is None
    finally:
        store.close()
