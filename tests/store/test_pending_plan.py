"""The analysis job's pending reads walk their partial indexes in order and stop at the batch: no sort of every
pending row (whole rows, content included) on each batch."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from store.mentions import NewMention
from store.mentions.sqlite import SqliteMentionStore


@pytest.mark.parametrize("newest_first", [False, True])
def test_pending_reads_use_their_index_without_a_sort(tmp_path: Path, newest_first: bool) -> None:
    store = SqliteMentionStore(tmp_path / "m.sqlite3")
    store.upsert_many([NewMention("s", str(i), f"http://x/{i}", "", f"帖子内容第{i}篇") for i in range(30)])
    statements: list[tuple[str, tuple[Any, ...]]] = []
    fetch = store._fetch_rows

    def recording(sql: str, params: Any) -> Any:
        statements.append((sql, tuple(params)))
        return fetch(sql, params)

    store._fetch_rows = recording  # type: ignore[method-assign]
    assert len(store.pending_analysis(40, newest_first=newest_first)) == 30
    assert len(store.pending_with_tokens(40, newest_first=newest_first)) == 30  # the tokens joined by rowid
    assert len(store.pending_with_tokens(40, newest_first=newest_first, exclude={"s:3", "s:7"})) == 28
    assert len(statements) == 6  # each: the never-analysed, then the queued again
    with sqlite3.connect(tmp_path / "m.sqlite3") as conn:
        for sql, params in statements:
            plan = " ".join(row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}", params))
            assert "TEMP B-TREE" not in plan and "ix_mentions_" in plan, plan
    store.close()
