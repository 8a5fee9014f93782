"""`yuqing store migrate --to elasticsearch`: request/response contract tests against the loopback stub (no
Elasticsearch runs here) — what is read from a real embedded store, what is sent, and resuming."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from store.mentions import Analysis, CountUpdate, NewMention, SchemeFlag
from store.mentions.sqlite import SqliteMentionStore
from yuqing.cli import main

T0 = datetime(2026, 3, 5, 8, 10, 0, 123456, tzinfo=UTC)
ALIAS = "yuqing-mentions"


def _post(i: int) -> NewMention:
    return NewMention(
        "baixing",
        str(1000 + i),
        f"http://baixing.example/t/{1000 + i}",
        f"城关一中乱收费投诉{i}",
        "以资料费名义每生收取300元。",
        reply_count=i,
        unit="county-edu",
    )


@pytest.fixture
def embedded(tmp_path: Path) -> Path:
    """Five mentions: three analysed (one by an analysis that names another unit), one with heat history."""
    path = tmp_path / "data" / "mentions.sqlite3"
    store = SqliteMentionStore(path)
    for i in range(5):
        store.upsert_many([_post(i)], now=T0 + timedelta(minutes=i))
    store.record_counts([CountUpdate("baixing:1001", 7, 300)], now=T0 + timedelta(hours=1))
    flag = SchemeFlag("arbitrary-fees", ["乱收费"], [("title", 4)])
    analysed = Analysis(["乱收费"], -0.6, "negative", [flag], 2, "no1-middle", ["级别 2"], "evt-1", "投诉")
    store.save_analysis([("baixing:1000", analysed), ("baixing:1001", analysed), ("baixing:1002", analysed)], now=T0)
    store.close()
    return path


@pytest.fixture
def cluster(stub_es: Any) -> Any:
    stub_es.prepared_cluster()
    stub_es.on("POST", f"/{ALIAS}/_search", (200, {"hits": {"total": {"value": 0, "relation": "eq"}, "hits": []}}))
    stub_es.on("GET", "/yuqing-meta/_doc/analysis_seq", (404, {"_id": "analysis_seq", "found": False}))
    stub_es.on("PUT", "/yuqing-meta/_doc/analysis_seq", (201, {"result": "created", "_seq_no": 0}))
    stub_es.on("PUT", "/_bulk", _bulk_ok)
    return stub_es


def _bulk_ok(request: Any) -> tuple[int, Any]:
    items = [
        {op: {"_index": "yuqing-mentions-2026.03-000001", "_id": meta["_id"], "status": 201, "result": "created"}}
        for action in request.ndjson[0::2]
        for op, meta in action.items()
    ]
    return 200, {"errors": False, "took": 3, "items": items}


def _migrate(tmp_path: Path, stub: Any, monkeypatch: pytest.MonkeyPatch, *extra: str) -> int:
    monkeypatch.setenv("YUQING_WORKFLOW_DB", f"sqlite:///{tmp_path / 'workflow.sqlite3'}")
    monkeypatch.setenv("YUQING_ELASTICSEARCH_URL", stub.url)
    data = str(tmp_path / "data")
    return main(["store", "migrate", "--to", "elasticsearch", "--data", data, "--batch", "2", *extra])


def _bulks(stub: Any) -> list[list[Any]]:
    return [r.ndjson for r in stub.take() if r.path == "/_bulk"]


def test_copies_every_mention_with_analysis_heat_and_numbers(
    tmp_path: Path, embedded: Path, cluster: Any, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    assert _migrate(tmp_path, cluster, monkeypatch) == 0
    sent = cluster.take()
    # The counter first, above every copied number; then batches of two: look up, then create by id.
    counter = next(r for r in sent if r.method == "PUT" and r.path == "/yuqing-meta/_doc/analysis_seq")
    assert counter.query == {"op_type": "create"} and counter.json == {"value": 3}
    assert sent.index(counter) < min(i for i, r in enumerate(sent) if r.path == "/_bulk")
    bulks = [r.ndjson for r in sent if r.path == "/_bulk"]
    assert [len(b) // 2 for b in bulks] == [2, 2, 1]
    actions = [line for b in bulks for line in b[0::2]]
    assert actions == [{"create": {"_id": f"baixing:{1000 + i}", "_index": ALIAS}} for i in range(5)]
    docs = {d["id"]: d for b in bulks for d in b[1::2]}
    first = docs["baixing:1000"]
    assert first["discovered_at"] == "2026-03-05T08:10:00.123456+00:00"  # exactly, microseconds and all
    assert (first["analysis_seq"], first["level"], first["schemes"]) == (1, 2, ["arbitrary-fees"])
    assert first["post_type"] == "投诉"  # the post type goes along with the analysis
    assert (first["unit"], first["crawl_unit"], first["analysis_unit"]) == ("no1-middle", "county-edu", "no1-middle")
    assert first["flags"] == [{"scheme": "arbitrary-fees", "words": ["乱收费"], "positions": [["title", 4]]}]
    assert "乱收费" in first["title_tokens"].split()
    heat = docs["baixing:1001"]["counts"]
    assert [(c["reply_count"], c["view_count"]) for c in heat] == [(1, None), (7, 300)]
    pending = docs["baixing:1004"]
    assert pending["analysis_seq"] is None and pending["analysed_at"] is None and pending["unit"] == "county-edu"
    out = capsys.readouterr().out
    assert "完成：复制 5 篇帖子，0 篇原已存在" in out and "从 3 之后" in out

    # Idempotent: a second run finds nothing after its cursor and sends no document.
    assert _migrate(tmp_path, cluster, monkeypatch) == 0
    assert _bulks(cluster) == []


def test_an_interrupted_copy_resumes_after_the_last_batch_written(
    tmp_path: Path, embedded: Path, cluster: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = {"bulk": 0}

    def fail_second(request: Any) -> tuple[int, Any]:
        calls["bulk"] += 1
        if calls["bulk"] == 2:
            return 500, {"error": {"type": "node_not_connected_exception", "reason": "node left"}, "status": 500}
        return _bulk_ok(request)

    cluster.on("PUT", "/_bulk", fail_second)
    with pytest.raises(Exception, match="node_not_connected_exception"):
        _migrate(tmp_path, cluster, monkeypatch)
    first_run = [r.ndjson for r in cluster.take() if r.path == "/_bulk"]
    assert [a["create"]["_id"] for a in first_run[0][0::2]] == ["baixing:1000", "baixing:1001"]

    cluster.on("PUT", "/_bulk", _bulk_ok)
    assert _migrate(tmp_path, cluster, monkeypatch) == 0
    lookups = [r.json["query"]["ids"]["values"] for r in cluster.requests if r.path == f"/{ALIAS}/_search"]
    assert lookups[0] == ["baixing:1002", "baixing:1003"]  # the first batch is not read again
    resumed = [a["create"]["_id"] for b in _bulks(cluster) for a in b[0::2]]
    assert resumed == ["baixing:1002", "baixing:1003", "baixing:1004"]


def test_mentions_already_in_elasticsearch_are_left_as_they_are(
    tmp_path: Path, embedded: Path, cluster: Any, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    def found(request: Any) -> tuple[int, Any]:
        ids = request.json["query"]["ids"]["values"]
        hits = [
            {
                "_index": "yuqing-mentions-2026.03-000001",
                "_id": i,
                "_seq_no": 1,
                "_primary_term": 1,
                "_source": {"id": i},
            }
            for i in ids
            if i != "baixing:1003"
        ]
        return 200, {"hits": {"total": {"value": len(hits), "relation": "eq"}, "hits": hits}}

    cluster.on("POST", f"/{ALIAS}/_search", found)
    assert _migrate(tmp_path, cluster, monkeypatch) == 0
    written = [a for b in _bulks(cluster) for a in b[0::2]]
    assert written == [{"create": {"_id": "baixing:1003", "_index": ALIAS}}]
    assert "复制 1 篇帖子，4 篇原已存在" in capsys.readouterr().out


def test_a_missing_embedded_store_is_a_clear_error(
    tmp_path: Path, cluster: Any, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    assert _migrate(tmp_path, cluster, monkeypatch) == 2
    assert "no embedded mention store at" in capsys.readouterr().err
    assert json.dumps(_bulks(cluster)) == "[]"
