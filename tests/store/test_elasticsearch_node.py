"""The Elasticsearch store against a real node (YUQING_TEST_ES_URL; `scripts/es-node start` prints one).

A node of a version the store speaks to (8.x, 9.x) is opened, written and migrated to; any other version is
refused at start — by the store and by `yuqing store migrate` — with an error naming the URL and the version,
never the password, and nothing is created on it. scripts/es-node runs Elasticsearch 8.14.3 without ILM
(tools/es-node): there the store keeps its monthly indices itself, which the last test checks on the node.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from store.mentions import NewMention, SearchQuery
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
            if store.ilm:
                store.client.options(ignore_status=404).ilm.delete_lifecycle(name=f"{name}-mentions")
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
            # The default refresh ("wait_for", as in production; the contract suite forces refreshes for speed):
            # the write is searchable as soon as it returns.
            assert options.refresh == "wait_for"
            assert [m.id for m in store.search(SearchQuery(text="乱收费")).hits] == ["baixing:1"]
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


def _has_ilm(node: Any) -> bool:
    """Asked of the node directly, not through the store: a node without x-pack-ilm has no such path."""
    try:
        with urllib.request.urlopen(f"{node.shown.rstrip('/')}/_ilm/policy", timeout=10) as response:
            return bool(response.status == 200)
    except urllib.error.HTTPError:
        return False


def test_without_ilm_the_store_rolls_months_and_deletes_old_indices_on_the_node(es_node: Any, prefix: str) -> None:
    if es_node.major not in (8, 9):
        pytest.skip(f"Elasticsearch {es_node.version} at {es_node.shown}: the store refuses it (tested above)")
    options = ElasticOptions(url=es_node.url, index_prefix=prefix, replicas=0, retention_days=365)
    now = [datetime(2026, 2, 20, tzinfo=UTC)]
    store = ElasticMentionStore(options, clock=lambda: now[0])
    try:
        assert store.ilm is _has_ilm(es_node)
        if store.ilm:
            pytest.skip(f"Elasticsearch at {es_node.shown} has ILM: it rolls the indices, not the store")
        alias = f"{prefix}-mentions"
        february = f"{alias}-2026.02-000001"
        template = store.client.indices.get_index_template(name=alias)["index_templates"][0]["index_template"]
        assert "lifecycle" not in template["template"]["settings"]["index"]
        # An index of a month long past the retention, behind the alias as an earlier month's would be.
        expired = f"{alias}-2024.12-000001"
        store.client.indices.create(index=expired, aliases={alias: {"is_write_index": False}})
        store.upsert_many([NewMention("baixing", "1", "http://b/1", "二月的帖子", "正文。")], now=now[0])
    finally:
        store.close()

    now[0] = T0  # March: a store opened now makes March's index the write index and deletes the expired one
    store = ElasticMentionStore(options, clock=lambda: now[0])
    try:
        store.upsert_many([NewMention("baixing", "2", "http://b/2", "三月的帖子", "正文。")], now=T0)
        behind = store.client.indices.get_alias(name=alias).body
        march = f"{alias}-2026.03-000001"
        assert sorted(behind) == [february, march]
        assert [i for i, v in behind.items() if v["aliases"][alias].get("is_write_index")] == [march]
        placed = {hit["_id"]: hit["_index"] for hit in store.client.search(index=alias)["hits"]["hits"]}
        assert placed == {"baixing:1": february, "baixing:2": march}
        assert [m.title for m in store.get_many(["baixing:1", "baixing:2"])] == ["二月的帖子", "三月的帖子"]
    finally:
        store.close()
