"""The Elasticsearch store against a real node (YUQING_TEST_ES_URL; `.ci/run` starts one with scripts/es-node).

A node of a version the store speaks to (8.x, 9.x) is opened, written and migrated to; any other version is
refused at start — by the store and by `yuqing store migrate` — with an error naming the URL and the version,
never the password, and nothing is created on it. Maven Central's newest open node is Elasticsearch 7.10.2,
so in CI today these tests prove the refusal (see docs/elasticsearch.md).
"""

from __future__ import annotations

import json
import urllib.request
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from store.mentions import NewMention
from store.mentions.elastic import ElasticMentionStore, ElasticOptions, ElasticsearchVersionError
from store.mentions.sqlite import SqliteMentionStore
from yuqing.cli import main

T0 = datetime(2026, 3, 5, 8, 10, tzinfo=UTC)
PASSWORD = "s3cret-pw"


def _indices(node: Any, prefix: str) -> list[str]:
    with urllib.request.urlopen(f"{node.shown.rstrip('/')}/_cat/indices?format=json", timeout=10) as response:
        return sorted(row["index"] for row in json.load(response) if row["index"].startswith(prefix))


@pytest.fixture
def prefix(es_node: Any) -> Iterator[str]:
    name = f"yuqing-node-{uuid.uuid4().hex[:12]}"
    yield name
    if es_node.major in (8, 9):  # the store made them: drop them by name, as the contract suite does
        store = ElasticMentionStore(ElasticOptions(url=es_node.url, index_prefix=name, replicas=0))
        try:
            names = list(store.client.options(ignore_status=404).indices.get(index=f"{name}-*"))
            if names:
                store.client.indices.delete(index=",".join(names))
            store.client.options(ignore_status=404).indices.delete_index_template(name=f"{name}-mentions")
        finally:
            store.close()


def _with_password(url: str) -> str:
    """The node's URL with credentials in it (a node without security ignores them), to check none leak."""
    return url if "@" in url else url.replace("://", f"://elastic:{PASSWORD}@", 1)


def test_the_store_opens_a_supported_node_and_refuses_another_by_url_and_version(es_node: Any, prefix: str) -> None:
    options = ElasticOptions(url=_with_password(es_node.url), index_prefix=prefix, replicas=0)
    if es_node.major in (8, 9):
        options = ElasticOptions(url=es_node.url, index_prefix=prefix, replicas=0)
        store = ElasticMentionStore(options)
        try:
            post = NewMention("baixing", "1", "http://baixing.example/t/1", "城关一中乱收费", "每生收取300元。")
            store.upsert_many([post], now=T0)
            assert [m.title for m in store.get_many(["baixing:1"])] == ["城关一中乱收费"]
        finally:
            store.close()
        assert f"{prefix}-meta" in _indices(es_node, prefix)
        return
    with pytest.raises(ElasticsearchVersionError) as raised:
        ElasticMentionStore(options)
    message = str(raised.value)
    assert f"Elasticsearch at {es_node.shown} is version {es_node.version}; Yuqing needs 8.x or 9.x" in message
    assert PASSWORD not in message
    assert _indices(es_node, prefix) == []  # nothing created on a cluster it cannot use


def test_migrate_to_the_node_copies_or_refuses_by_url_and_version(
    es_node: Any, prefix: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    embedded = SqliteMentionStore(tmp_path / "data" / "mentions.sqlite3")
    embedded.upsert_many(
        [NewMention("baixing", str(i), f"http://baixing.example/t/{i}", f"投诉{i}", "乱收费。") for i in range(3)],
        now=T0,
    )
    embedded.close()
    monkeypatch.setenv("YUQING_WORKFLOW_DB", f"sqlite:///{tmp_path / 'workflow.sqlite3'}")
    monkeypatch.setenv("YUQING_ELASTICSEARCH_URL", _with_password(es_node.url))
    monkeypatch.setenv("YUQING_ELASTICSEARCH_INDEX_PREFIX", prefix)
    monkeypatch.setenv("YUQING_ELASTICSEARCH_REPLICAS", "0")
    if es_node.major in (8, 9):
        monkeypatch.setenv("YUQING_ELASTICSEARCH_URL", es_node.url)
    code = main(["store", "migrate", "--to", "elasticsearch", "--data", str(tmp_path / "data")])
    err = capsys.readouterr().err
    if es_node.major in (8, 9):
        assert code == 0, err
        store = ElasticMentionStore(ElasticOptions(url=es_node.url, index_prefix=prefix, replicas=0))
        try:
            copied = store.get_many(["baixing:0", "baixing:1", "baixing:2"])
            assert [m.title for m in copied] == ["投诉0", "投诉1", "投诉2"]
        finally:
            store.close()
        return
    assert code == 2
    assert f"错误：Elasticsearch at {es_node.shown} is version {es_node.version}; Yuqing needs 8.x or 9.x" in err
    assert PASSWORD not in err
    assert _indices(es_node, prefix) == []
