"""The embedded store answers a repeated search from its recent results only while the file is unchanged: a
write by this store, by another store on the same file (another process) or an analysis makes it search again."""

from __future__ import annotations

from pathlib import Path

from store.mentions import NewMention, SearchQuery, Terms
from store.mentions.sqlite import SqliteMentionStore

QUERY = SearchQuery(text="食堂", aggs=(Terms("sources", "source"),))


def post(n: int, source: str = "board") -> NewMention:
    return NewMention(source, f"p{n}", f"http://b/{n}", f"学校食堂问题{n}", f"学生反映食堂饭菜变质（{n}）")


def test_a_repeated_search_gives_the_same_answer(tmp_path: Path) -> None:
    store = SqliteMentionStore(tmp_path / "m.sqlite3")
    try:
        store.upsert_many([post(1), post(2)])
        first = store.search(QUERY)
        again = store.search(QUERY)
        assert again == first
        assert again.total == 2
        again.hits.clear()  # a caller's own lists: what the next caller gets is untouched
        again.aggregations["sources"].clear()
        third = store.search(QUERY)
        assert [m.id for m in third.hits] == [m.id for m in first.hits]
        assert third.aggregations["sources"][0].count == 2
    finally:
        store.close()


def test_a_write_through_the_store_is_seen_at_once(tmp_path: Path) -> None:
    store = SqliteMentionStore(tmp_path / "m.sqlite3")
    try:
        store.upsert_many([post(1)])
        assert store.search(QUERY).total == 1
        store.upsert_many([post(2)])
        assert store.search(QUERY).total == 2
    finally:
        store.close()


def test_a_write_by_another_process_is_seen_at_once(tmp_path: Path) -> None:
    api = SqliteMentionStore(tmp_path / "m.sqlite3")
    crawler = SqliteMentionStore(tmp_path / "m.sqlite3")  # its own connections, as another process has
    try:
        crawler.upsert_many([post(1)])
        assert api.search(QUERY).total == 1
        crawler.upsert_many([post(2, source="other")])
        result = api.search(QUERY)
        assert result.total == 2
        assert {b.key for b in result.aggregations["sources"]} == {"board", "other"}
    finally:
        api.close()
        crawler.close()
