"""Request/response contract tests of the Elasticsearch mention store (not integration tests: no Elasticsearch
runs here). A loopback HTTP server records the exact requests the store sends through the official client —
paths, query strings, bodies, the compatibility headers — and answers with recorded ES 8 responses; the tests
check both what was asked and how the answers were read. The store's behaviour against a real cluster is the
shared contract suite's (tests/store/test_mentions_contract.py with YUQING_TEST_ES_URL set).
"""

from __future__ import annotations

import base64
import json
import socket
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from unittest.mock import patch

import pytest
from elasticsearch import ApiError

from store.mentions import (
    Analysis,
    CountUpdate,
    DateHistogram,
    MentionStoreUnavailable,
    NewMention,
    SchemeFlag,
    SearchQuery,
    Terms,
)
from store.mentions.elastic import ElasticMentionStore, ElasticOptions, ElasticsearchVersionError
from store.mentions.elastic_docs import apply_analysis, apply_crawl, from_mention, heat, to_mention, with_heat
from store.mentions.elastic_schema import MAPPINGS, TEMPLATE_VERSION
from store.tokens import tokenize

COMPAT_JSON = "application/vnd.elasticsearch+json; compatible-with=8"
COMPAT_NDJSON = "application/vnd.elasticsearch+x-ndjson; compatible-with=8"
ALIAS = "yuqing-mentions"
INDEX = "yuqing-mentions-2026.03-000001"
T0 = datetime(2026, 3, 5, 8, 10, tzinfo=UTC)
CST = timezone(timedelta(hours=8))

FEES = NewMention(
    "baixing",
    "1001",
    "http://baixing.example/t/1001",
    "县教育局对城关一中乱收费不作为",
    "城关一中以资料费名义每生收取300元，家长多次向县教育局反映，至今无人回复。",
    author="一位家长",
    published_at=datetime(2026, 3, 5, 15, 0, tzinfo=CST),
    reply_count=3,
    view_count=120,
    unit="county-edu",
)
CANTEEN = NewMention(
    "baixing",
    "1002",
    "http://baixing.example/t/1002",
    "城关一中食堂饭菜发霉",
    "已经有三个学生拉肚子。",
    unit="county-edu",
)
ANALYSIS = Analysis(
    tokens=["乱收费"],
    sentiment=-0.6,
    sentiment_label="negative",
    flags=[SchemeFlag("arbitrary-fees", ["乱收费"], [("title", 10)])],
    level=2,
    unit="no1-middle",
    explanation=["级别 2"],
    event_id="evt-1",
)


# --- recorded response shapes -------------------------------------------------------------------------------


def doc_of(post: NewMention, at: datetime = T0) -> dict[str, Any]:
    return apply_crawl(None, post, at.isoformat(timespec="microseconds"))[1]


def hit(
    doc: dict[str, Any], *, seq_no: int = 0, primary_term: int = 1, sort: list[Any] | None = None
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "_index": INDEX,
        "_id": doc["id"],
        "_score": None if sort else 1.0,
        "_seq_no": seq_no,
        "_primary_term": primary_term,
        "_source": doc,
    }
    if sort is not None:
        out["sort"] = sort
    return out


def search_response(
    hits: list[dict[str, Any]],
    *,
    total: int | None = None,
    aggregations: dict[str, Any] | None = None,
    pit_id: str | None = None,
) -> tuple[int, dict[str, Any]]:
    body: dict[str, Any] = {
        "took": 3,
        "timed_out": False,
        "_shards": {"total": 1, "successful": 1, "skipped": 0, "failed": 0},
        "hits": {
            "total": {"value": len(hits) if total is None else total, "relation": "eq"},
            "max_score": None,
            "hits": hits,
        },
    }
    if aggregations is not None:
        body["aggregations"] = aggregations
    if pit_id is not None:
        body["pit_id"] = pit_id
    return 200, body


def bulk_item(op: str, doc_id: str, status: int, *, seq_no: int = 1) -> dict[str, Any]:
    if status == 409:
        reason = f"[{doc_id}]: version conflict, required seqNo [0], primary term [1]. current document has seqNo [1]"
        return {
            op: {
                "_index": INDEX,
                "_id": doc_id,
                "status": 409,
                "error": {"type": "version_conflict_engine_exception", "reason": reason, "index": INDEX},
            }
        }
    result = "created" if status == 201 else "updated"
    return {
        op: {
            "_index": INDEX,
            "_id": doc_id,
            "_version": seq_no + 1,
            "result": result,
            "forced_refresh": True,
            "_shards": {"total": 1, "successful": 1, "failed": 0},
            "_seq_no": seq_no,
            "_primary_term": 1,
            "status": status,
        }
    }


def bulk_response(items: list[dict[str, Any]]) -> tuple[int, dict[str, Any]]:
    errors = any(next(iter(i.values()))["status"] >= 300 for i in items)
    return 200, {"errors": errors, "took": 7, "items": items}


def bulk_from_request(request: Any) -> tuple[int, dict[str, Any]]:
    """Answer a bulk request as a cluster with no conflicts would: every action succeeds."""
    lines = request.ndjson
    items = []
    for action in lines[0::2]:
        op, meta = next(iter(action.items()))
        items.append(bulk_item(op, meta["_id"], 201 if op == "create" else 200))
    return bulk_response(items)


def ids_asked(request: Any) -> list[str]:
    return list(request.json["query"]["ids"]["values"])


# --- fixtures -----------------------------------------------------------------------------------------------


@pytest.fixture
def es(stub_es: Any) -> Any:
    """A stub cluster where the store's indices exist already (opening sends four requests)."""
    stub_es.prepared_cluster()
    return stub_es


def open_store(stub: Any, **options: Any) -> ElasticMentionStore:
    store = ElasticMentionStore(ElasticOptions(url=stub.url, **options))
    stub.take()
    return store


# --- opening ------------------------------------------------------------------------------------------------


def test_opening_a_cluster_of_an_older_template_adds_the_new_fields_to_its_indices(stub_es: Any) -> None:
    from store.mentions.elastic_schema import IndexNames, index_template

    old = index_template(IndexNames("yuqing"), shards=1, replicas=1) | {"version": 1}  # before votes
    stub_es.on("GET", "/", (200, stub_es.info))
    stub_es.on("GET", "/_index_template/yuqing-mentions", (200, {"index_templates": [{"index_template": old}]}))
    stub_es.on("PUT", "/_ilm/policy/[^/]+", (200, {"acknowledged": True}))
    stub_es.on("PUT", "/_index_template/[^/]+", (200, {"acknowledged": True}))
    stub_es.on("HEAD", "/_alias/yuqing-mentions", (200, None))
    stub_es.on("PUT", "/yuqing-mentions/_mapping", (200, {"acknowledged": True}))
    stub_es.on("POST", "/yuqing-mentions/_search", search_response([]))  # documents without heat: none
    stub_es.on("HEAD", "/yuqing-meta", (200, None))
    ElasticMentionStore(ElasticOptions(url=stub_es.url)).close()
    sent = stub_es.take()
    [mapping] = [r for r in sent if r.path == "/yuqing-mentions/_mapping"]
    assert mapping.method == "PUT" and mapping.json["properties"]["up_votes"] == {"type": "integer"}
    assert mapping.json["properties"]["down_votes"] == {"type": "integer"}


def test_opening_an_empty_cluster_creates_policy_template_monthly_index_and_meta(stub_es: Any) -> None:
    stub_es.fresh_cluster()
    ElasticMentionStore(ElasticOptions(url=stub_es.url, shards=3, replicas=0, retention_days=365)).close()
    sent = stub_es.take()
    assert [(r.method, r.path) for r in sent] == [
        ("GET", "/"),
        ("GET", "/_index_template/yuqing-mentions"),
        ("PUT", "/_ilm/policy/yuqing-mentions"),
        ("PUT", "/_index_template/yuqing-mentions"),
        ("HEAD", "/_alias/yuqing-mentions"),
        ("PUT", "/<yuqing-mentions-{now/M{yyyy.MM}}-000001>"),  # date math: yuqing-mentions-2026.03-000001
        ("HEAD", "/yuqing-meta"),
        ("PUT", "/yuqing-meta"),
    ]
    assert sent[5].raw_path == "/%3Cyuqing-mentions-%7Bnow%2FM%7Byyyy.MM%7D%7D-000001%3E"  # date math, encoded
    assert all(r.headers["accept"] == COMPAT_JSON for r in sent)
    assert all(r.headers.get("content-type") == COMPAT_JSON for r in sent if r.raw)
    assert sent[2].json == {
        "policy": {
            "phases": {
                "hot": {"actions": {"rollover": {"max_age": "30d", "max_primary_shard_size": "50gb"}}},
                "delete": {"min_age": "365d", "actions": {"delete": {}}},
            },
            "_meta": {"managed_by": "yuqing"},
        }
    }
    template = sent[3].json
    assert template["index_patterns"] == ["yuqing-mentions-*"] and template["version"] == TEMPLATE_VERSION
    assert template["priority"] == 200
    settings = template["template"]["settings"]
    assert settings["index"] == {
        "number_of_shards": 3,
        "number_of_replicas": 0,
        "refresh_interval": "1s",
        "lifecycle": {"name": "yuqing-mentions", "rollover_alias": "yuqing-mentions"},
    }
    assert settings["analysis"]["analyzer"]["yuqing_raw"] == {
        "type": "custom",
        "tokenizer": "standard",
        "filter": ["cjk_width", "lowercase"],
    }
    mappings = template["template"]["mappings"]
    fields = mappings["properties"]
    assert mappings["dynamic"] == "strict"
    # jieba tokens, whitespace-analysed, beside the raw text
    assert fields["title_tokens"]["analyzer"] == fields["content_tokens"]["analyzer"] == "whitespace"
    assert fields["title"] == fields["content"] == {"type": "text", "analyzer": "yuqing_raw"}
    for name in ("id", "source", "unit", "sentiment_label", "schemes", "content_hash", "event_id"):
        assert fields[name] == {"type": "keyword"}, name
    for name in ("published_at", "discovered_at", "updated_at", "analysed_at", "last_seen_at", "deleted_at"):
        assert fields[name] == {"type": "date"}, name
    assert fields["level"] == {"type": "integer"} and fields["analysis_seq"] == {"type": "long"}
    assert fields["flags"] == fields["counts"] == fields["official_reply"] == {"type": "object", "enabled": False}
    assert "aliases" not in template["template"]  # the rollover alias lives on the indices, not the template
    assert sent[5].json == {"aliases": {"yuqing-mentions": {"is_write_index": True}}}
    assert sent[7].json["mappings"] == {
        "dynamic": "strict",
        "properties": {"value": {"type": "long"}, "alias_of": {"type": "keyword"}},
    }


def test_opening_a_prepared_cluster_changes_nothing(es: Any) -> None:
    ElasticMentionStore(ElasticOptions(url=es.url)).close()
    assert [(r.method, r.path) for r in es.take()] == [
        ("GET", "/"),
        ("GET", "/_index_template/yuqing-mentions"),
        ("HEAD", "/_alias/yuqing-mentions"),
        ("HEAD", "/yuqing-meta"),
    ]


NO_ILM = {"error": "no handler found for uri [/_ilm/policy/yuqing-mentions] and method [PUT]"}  # 8.14.3, no x-pack-ilm


def test_a_cluster_without_ilm_gets_plain_monthly_indices_and_says_so_once(stub_es: Any, caplog: Any) -> None:
    stub_es.fresh_cluster()
    stub_es.on("PUT", "/_ilm/policy/[^/]+", (400, NO_ILM))
    month = "yuqing-mentions-2026.03-000001"
    stub_es.on("GET", "/_alias/yuqing-mentions", (200, {month: {"aliases": {ALIAS: {"is_write_index": True}}}}))
    with caplog.at_level("WARNING", logger="store.mentions.elastic"):
        store = ElasticMentionStore(ElasticOptions(url=stub_es.url, replicas=0), clock=lambda: T0)
    store.close()
    sent = stub_es.take()
    assert [(r.method, r.path) for r in sent] == [
        ("GET", "/"),
        ("GET", "/_index_template/yuqing-mentions"),
        ("PUT", "/_ilm/policy/yuqing-mentions"),
        ("PUT", "/_index_template/yuqing-mentions"),
        ("HEAD", "/_alias/yuqing-mentions"),
        ("PUT", f"/{month}"),  # this month's index by name (the store rolls it, not ILM)
        ("HEAD", "/yuqing-meta"),
        ("PUT", "/yuqing-meta"),
        ("GET", "/_alias/yuqing-mentions"),  # which index takes the writes; nothing older to delete
    ]
    assert store.ilm is False
    assert sent[3].json["template"]["settings"]["index"] == {
        "number_of_shards": 1,
        "number_of_replicas": 0,
        "refresh_interval": "1s",
    }
    assert sent[5].json == {"aliases": {ALIAS: {"is_write_index": True}}}
    [warning] = [r for r in caplog.records if r.levelname == "WARNING"]
    assert "没有索引生命周期管理（ILM）" in warning.getMessage() and stub_es.url in warning.getMessage()
    assert "超过 730 天的索引删除" in warning.getMessage()


def test_another_refusal_of_the_policy_is_not_taken_for_a_missing_ilm(stub_es: Any) -> None:
    stub_es.fresh_cluster()
    stub_es.on("PUT", "/_ilm/policy/[^/]+", stub_es.error(400, "x_content_parse_exception", "[phases] unknown field"))
    with pytest.raises(ApiError):
        ElasticMentionStore(ElasticOptions(url=stub_es.url))
    assert [r.path for r in stub_es.take()][-1] == "/_ilm/policy/yuqing-mentions"  # no template put after it


def test_without_ilm_the_store_rolls_the_month_and_deletes_indices_past_the_retention(stub_es: Any) -> None:
    from store.mentions.elastic_schema import IndexNames, index_template

    template = {"name": ALIAS, "index_template": index_template(IndexNames("yuqing"), shards=1, replicas=1, ilm=False)}
    stub_es.on("GET", "/", (200, stub_es.info))
    stub_es.on("GET", "/_index_template/yuqing-mentions", (200, {"index_templates": [template]}))
    stub_es.on("HEAD", "/_alias/yuqing-mentions", (200, None))
    stub_es.on("HEAD", "/yuqing-meta", (200, None))
    expired, kept, february, march = (
        f"yuqing-mentions-{m}-000001" for m in ("2024.12", "2025.03", "2026.02", "2026.03")
    )
    old = {"aliases": {ALIAS: {"is_write_index": False}}}
    stub_es.on(
        "GET",
        "/_alias/yuqing-mentions",
        [
            (200, {expired: old, kept: old, february: {"aliases": {ALIAS: {"is_write_index": True}}}}),
            (200, {kept: old, february: {"aliases": {ALIAS: {"is_write_index": True}}}}),
        ],
    )
    stub_es.on("DELETE", "/[^_].*", (200, {"acknowledged": True}))
    stub_es.on("PUT", f"/{march}", (200, {"acknowledged": True, "shards_acknowledged": True, "index": march}))
    stub_es.on("POST", "/_aliases", (200, {"acknowledged": True}))
    stub_es.on("POST", f"/{ALIAS}/_search", search_response([]))
    stub_es.on("PUT", "/_bulk", bulk_from_request)
    now = [datetime(2026, 2, 20, tzinfo=UTC)]
    store = ElasticMentionStore(ElasticOptions(url=stub_es.url, retention_days=365), clock=lambda: now[0])
    opening = stub_es.take()
    # Opened in February: the index whose month ended more than 365 days ago goes; the template was current.
    assert [(r.method, r.path) for r in opening][-2:] == [("GET", "/_alias/yuqing-mentions"), ("DELETE", f"/{expired}")]
    assert "/_ilm/policy/yuqing-mentions" not in [r.path for r in opening]

    store.upsert_many([CANTEEN], now=now[0])  # the same month: no request about indices
    assert [r.path for r in stub_es.take()] == [f"/{ALIAS}/_search", "/_bulk"]

    now[0] = T0  # March: the first new post makes March's index the write index
    store.upsert_many([FEES], now=T0)
    sent = stub_es.take()
    assert [(r.method, r.path) for r in sent] == [
        ("POST", f"/{ALIAS}/_search"),
        ("GET", "/_alias/yuqing-mentions"),
        ("PUT", f"/{march}"),
        ("POST", "/_aliases"),
        ("PUT", "/_bulk"),
    ]
    assert sent[2].json is None  # settings and mappings from the template; the alias is moved next
    assert sent[3].json == {
        "actions": [
            {"add": {"index": march, "alias": ALIAS, "is_write_index": True}},
            {"add": {"index": february, "alias": ALIAS, "is_write_index": False}},
        ]
    }
    assert sent[4].ndjson[0] == {"create": {"_index": ALIAS, "_id": FEES.id}}
    assert sent[4].ndjson[1]["heat"] == heat(sent[4].ndjson[1]) == 3 * 10 + 120
    store.mark_seen([FEES.id], now=T0)  # no new document: the month is not checked again
    assert "/_alias/yuqing-mentions" not in [r.path for r in stub_es.take()]


def test_an_older_template_is_replaced_and_the_existing_indices_get_the_new_fields(es: Any) -> None:
    from store.mentions.elastic_schema import IndexNames, index_template

    old: dict[str, Any] = {
        "name": "yuqing-mentions",
        "index_template": {**index_template(IndexNames("yuqing"), shards=1, replicas=1)},
    }
    old["index_template"]["version"] = TEMPLATE_VERSION - 1
    es.on("GET", "/_index_template/yuqing-mentions", (200, {"index_templates": [old]}))
    es.on("PUT", "/_ilm/policy/[^/]+", (200, {"acknowledged": True}))
    es.on("PUT", "/_index_template/[^/]+", (200, {"acknowledged": True}))
    es.on("PUT", "/yuqing-mentions/_mapping", (200, {"acknowledged": True}))
    # Two documents of the older template have no heat yet: read, given their heat, written back; then none.
    old_hot, old_cold = doc_of(FEES), doc_of(CANTEEN)
    assert "heat" not in old_hot
    missing = search_response([hit(old_hot), hit(old_cold)])
    read = search_response([hit(old_hot, seq_no=4), hit(old_cold)])
    es.on("POST", f"/{ALIAS}/_search", [missing, read, search_response([])])
    es.on("PUT", "/_bulk", bulk_from_request)
    ElasticMentionStore(ElasticOptions(url=es.url)).close()
    sent = es.take()
    assert [(r.method, r.path) for r in sent][:6] == [
        ("GET", "/"),
        ("GET", "/_index_template/yuqing-mentions"),
        ("PUT", "/_ilm/policy/yuqing-mentions"),
        ("PUT", "/_index_template/yuqing-mentions"),
        ("HEAD", "/_alias/yuqing-mentions"),
        ("PUT", "/yuqing-mentions/_mapping"),
    ]
    assert sent[5].json["properties"]["official_reply"] == {"type": "object", "enabled": False}
    assert sent[5].json["properties"]["heat"] == {"type": "long"}
    backfill, lookup, bulk = sent[6:9]
    assert backfill.json["query"] == {"bool": {"must_not": [{"exists": {"field": "heat"}}]}}
    assert ids_asked(lookup) == [FEES.id, CANTEEN.id]
    written = {meta["index"]["_id"]: doc for meta, doc in zip(bulk.ndjson[0::2], bulk.ndjson[1::2], strict=True)}
    assert written[FEES.id]["heat"] == 3 * 10 + 120 and written[CANTEEN.id]["heat"] == 0
    assert bulk.ndjson[0]["index"]["if_seq_no"] == 4  # written back only if unchanged since it was read
    assert [(r.method, r.path) for r in sent][9:] == [("POST", f"/{ALIAS}/_search"), ("HEAD", "/yuqing-meta")]


def test_two_processes_bootstrapping_at_once_is_not_an_error(stub_es: Any) -> None:
    stub_es.fresh_cluster()
    exists = stub_es.error(400, "resource_already_exists_exception", "index [yuqing-meta/abc] already exists")
    stub_es.on("PUT", "/(<yuqing-mentions.*|yuqing-meta)", exists)
    ElasticMentionStore(ElasticOptions(url=stub_es.url)).close()


def test_a_7x_server_is_refused_with_a_clear_error(stub_es: Any) -> None:
    stub_es.fresh_cluster(info={**stub_es.info, "version": {**stub_es.info["version"], "number": "7.17.22"}})
    with pytest.raises(ElasticsearchVersionError) as raised:
        ElasticMentionStore(ElasticOptions(url=stub_es.url))
    message = str(raised.value)
    assert "7.17.22" in message and stub_es.url in message and "8.x or 9.x" in message
    assert [r.path for r in stub_es.take()] == ["/"]  # nothing created on a cluster it cannot use


def test_a_server_without_the_product_header_is_refused_by_its_version(stub_es: Any) -> None:
    """Recording: Elasticsearch 7.10.2 (the open node from Maven Central) sends no X-Elastic-Product header,
    which the 8.x client reports only as "not Elasticsearch"; the store names the URL and the version."""
    stub_es.product_header = False
    stub_es.on("GET", "/", (200, stub_es.info_7_10))
    url = stub_es.url.replace("http://", "http://elastic:s3cret-pw@")
    with pytest.raises(ElasticsearchVersionError) as raised:
        ElasticMentionStore(ElasticOptions(url=url))
    message = str(raised.value)
    assert f"Elasticsearch at {stub_es.url} is version 7.10.2; Yuqing needs 8.x or 9.x" in message
    assert "s3cret-pw" not in message and raised.value.__cause__ is None
    assert [r.path for r in stub_es.take()] == ["/"]


def test_an_8x_answer_without_the_product_header_is_not_taken_for_elasticsearch(stub_es: Any) -> None:
    stub_es.product_header = False
    stub_es.on("GET", "/", (200, stub_es.info))
    with pytest.raises(ElasticsearchVersionError, match="does not answer as Elasticsearch does") as raised:
        ElasticMentionStore(ElasticOptions(url=stub_es.url))
    assert stub_es.url in str(raised.value) and "8.15.0" in str(raised.value)


def test_an_unreachable_cluster_is_named_without_its_password() -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://elastic:s3cret-pw@127.0.0.1:{port}"
    with pytest.raises(MentionStoreUnavailable) as raised:
        ElasticMentionStore(ElasticOptions(url=url, timeout_seconds=2))
    message = str(raised.value)
    assert f"Elasticsearch at http://127.0.0.1:{port} is unreachable" in message
    assert "s3cret-pw" not in message and "s3cret-pw" not in repr(raised.value.__cause__)
    options = ElasticOptions(url=url, password="s3cret-pw", api_key="s3cret-pw")
    assert "s3cret-pw" not in repr(options) and "s3cret-pw" not in str(options)


def test_refused_credentials_are_named_without_the_password(stub_es: Any) -> None:
    stub_es.on("GET", "/", stub_es.error(401, "security_exception", "unable to authenticate user [elastic]"))
    with pytest.raises(MentionStoreUnavailable, match="refused the credentials") as raised:
        ElasticMentionStore(ElasticOptions(url=stub_es.url, username="elastic", password="s3cret-pw"))
    assert "s3cret-pw" not in str(raised.value)
    [request] = stub_es.take()
    assert request.headers["authorization"] == "Basic " + base64.b64encode(b"elastic:s3cret-pw").decode()


# --- writing ------------------------------------------------------------------------------------------------


def test_writes_refresh_as_the_settings_say_waiting_for_the_refresh_unless_told(
    es: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from config import Settings
    from store.mentions.factory import elastic_options

    monkeypatch.delenv("YUQING_ELASTICSEARCH_REFRESH", raising=False)
    assert elastic_options(Settings()).refresh == "wait_for"  # production: the index's own 1 s refresh
    monkeypatch.setenv("YUQING_ELASTICSEARCH_REFRESH", "true")
    options = elastic_options(Settings())
    assert options.refresh == "true"
    store = ElasticMentionStore(replace(options, url=es.url))
    es.take()
    es.on("POST", f"/{ALIAS}/_search", search_response([]))
    es.on("PUT", "/_bulk", bulk_from_request)
    assert store.upsert_many([FEES], now=T0).created == [FEES.id]
    bulk = es.take()[-1]
    assert (bulk.method, bulk.path, bulk.query) == ("PUT", "/_bulk", {"refresh": "true"})
    monkeypatch.setenv("YUQING_ELASTICSEARCH_REFRESH", "sometimes")
    with pytest.raises(ValueError, match="elasticsearch_refresh"):
        Settings()


def test_new_posts_are_created_by_id_through_the_write_alias(es: Any) -> None:
    store = open_store(es)
    es.on("POST", f"/{ALIAS}/_search", search_response([]))
    es.on("PUT", "/_bulk", bulk_from_request)
    result = store.upsert_many([FEES, CANTEEN], now=T0)
    assert result.created == [FEES.id, CANTEEN.id] and result.updated == result.unchanged == []
    lookup, bulk = es.take()
    assert (lookup.method, lookup.path) == ("POST", f"/{ALIAS}/_search")
    assert lookup.json == {"query": {"ids": {"values": [FEES.id, CANTEEN.id]}}, "size": 2, "seq_no_primary_term": True}
    assert (bulk.method, bulk.path, bulk.query) == ("PUT", "/_bulk", {"refresh": "wait_for"})
    assert bulk.headers["content-type"] == COMPAT_NDJSON and bulk.headers["accept"] == COMPAT_JSON
    lines = bulk.ndjson
    assert lines[0] == {"create": {"_id": FEES.id, "_index": ALIAS}}
    assert lines[2] == {"create": {"_id": CANTEEN.id, "_index": ALIAS}}
    doc = lines[1]
    assert doc["title"] == FEES.title and doc["content"] == FEES.content
    assert doc["title_tokens"] == " ".join(tokenize(FEES.title)) and "教育局" in doc["title_tokens"].split()
    assert doc["content_tokens"] == " ".join(tokenize(FEES.content))
    assert doc["published_at"] == "2026-03-05T07:00:00.000000+00:00"  # +08:00 in, UTC stored
    assert doc["discovered_at"] == doc["updated_at"] == doc["last_seen_at"] == "2026-03-05T08:10:00.000000+00:00"
    assert doc["analysed_at"] is None and doc["analysis_seq"] is None and doc["edits"] == 0
    assert doc["counts"] == [{"at": doc["discovered_at"], "reply_count": 3, "view_count": 120}]
    assert (doc["unit"], doc["crawl_unit"], doc["reply_count"]) == ("county-edu", "county-edu", 3)


def test_known_posts_are_written_back_where_they_live_only_if_unchanged_meanwhile(es: Any) -> None:
    store = open_store(es)
    stored = doc_of(FEES)
    stored.update(analysed_at="2026-03-06T00:00:00.000000+00:00", analysis_seq=7, level=2, sentiment=-0.6)
    stored.update(sentiment_label="negative", schemes=["arbitrary-fees"], flags=[], tokens=[], explanation=[])
    es.on("POST", f"/{ALIAS}/_search", search_response([hit(stored, seq_no=41, primary_term=2)]))
    es.on("PUT", "/_bulk", bulk_from_request)
    later = T0 + timedelta(days=1)
    edited = replace(FEES, content="城关一中乱收费，已退款。", reply_count=None)
    result = store.upsert_many([replace(FEES, reply_count=15), edited], now=later)
    assert result.updated == [FEES.id] and result.created == result.unchanged == []
    _lookup, bulk = es.take()
    action, doc = bulk.ndjson
    assert action == {"index": {"_id": FEES.id, "_index": INDEX, "if_seq_no": 41, "if_primary_term": 2}}
    assert doc["content"] == edited.content and doc["edits"] == 1
    assert doc["discovered_at"] == stored["discovered_at"]
    assert doc["updated_at"] == later.isoformat(timespec="microseconds")
    assert doc["analysis_seq"] is None and doc["analysed_at"] is None and doc["schemes"] is None  # runs again
    assert doc["reply_count"] == 15  # the heat of the first copy in the batch, not lost by the second
    assert [c["reply_count"] for c in doc["counts"]] == [3, 15]


def test_a_version_conflict_reads_the_document_again_and_retries(es: Any) -> None:
    store = open_store(es)
    first = doc_of(FEES)
    meanwhile = {**first, "reply_count": 9}  # another crawler wrote between our read and our write
    es.on(
        "POST",
        f"/{ALIAS}/_search",
        [search_response([hit(first, seq_no=3)]), search_response([hit(meanwhile, seq_no=4)])],
    )
    es.on(
        "PUT",
        "/_bulk",
        [bulk_response([bulk_item("index", FEES.id, 409)]), bulk_response([bulk_item("index", FEES.id, 200)])],
    )
    result = store.upsert_many([replace(FEES, reply_count=None, view_count=500)], now=T0 + timedelta(hours=1))
    assert result.unchanged == [FEES.id]
    lookup1, bulk1, lookup2, bulk2 = es.take()
    assert ids_asked(lookup1) == ids_asked(lookup2) == [FEES.id]
    assert bulk1.ndjson[0]["index"]["if_seq_no"] == 3 and bulk2.ndjson[0]["index"]["if_seq_no"] == 4
    retried = bulk2.ndjson[1]
    assert (retried["reply_count"], retried["view_count"]) == (9, 500)  # the other writer's change kept


def test_a_create_race_becomes_an_update(es: Any) -> None:
    store = open_store(es)
    es.on("POST", f"/{ALIAS}/_search", [search_response([]), search_response([hit(doc_of(FEES), seq_no=0)])])
    es.on(
        "PUT",
        "/_bulk",
        [bulk_response([bulk_item("create", FEES.id, 409)]), bulk_response([bulk_item("index", FEES.id, 200)])],
    )
    assert store.upsert_many([FEES], now=T0).unchanged == [FEES.id]
    sent = es.take()
    assert next(iter(sent[1].ndjson[0])) == "create" and next(iter(sent[3].ndjson[0])) == "index"


def test_other_bulk_failures_raise_with_the_reason(es: Any) -> None:
    store = open_store(es)
    es.on("POST", f"/{ALIAS}/_search", search_response([]))
    failed = {
        "create": {
            "_index": INDEX,
            "_id": FEES.id,
            "status": 400,
            "error": {"type": "document_parsing_exception", "reason": "[1:2] failed to parse field [published_at]"},
        }
    }
    es.on("PUT", "/_bulk", bulk_response([failed]))
    with pytest.raises(RuntimeError, match="document_parsing_exception"):
        store.upsert_many([FEES])


def test_naive_times_are_refused_before_any_request(es: Any) -> None:
    store = open_store(es)
    with pytest.raises(ValueError, match="naive"):
        store.upsert_many([replace(FEES, published_at=datetime(2026, 3, 5, 8, 0))])
    assert es.take() == []


def test_save_analysis_reserves_numbers_and_retries_a_counter_conflict(es: Any) -> None:
    store = open_store(es)
    es.on("POST", f"/{ALIAS}/_search", search_response([hit(doc_of(FEES), seq_no=5), hit(doc_of(CANTEEN))]))
    counter = {"_index": "yuqing-meta", "_id": "analysis_seq", "_version": 3, "_seq_no": 12, "_primary_term": 1}
    es.on(
        "GET",
        "/yuqing-meta/_doc/analysis_seq",
        [
            (200, {**counter, "found": True, "_source": {"value": 40}}),
            (200, {**counter, "_seq_no": 13, "found": True, "_source": {"value": 44}}),
        ],
    )
    conflict = es.error(409, "version_conflict_engine_exception", "[analysis_seq]: version conflict")
    es.on("PUT", "/yuqing-meta/_doc/analysis_seq", [conflict, (200, {**counter, "result": "updated"})])
    es.on("PUT", "/_bulk", bulk_from_request)
    store.save_analysis([(FEES.id, ANALYSIS), ("nope:1", ANALYSIS), (CANTEEN.id, ANALYSIS)], now=T0)
    sent = es.take()
    assert [(r.method, r.path) for r in sent] == [
        ("POST", f"/{ALIAS}/_search"),
        ("GET", "/yuqing-meta/_doc/analysis_seq"),
        ("PUT", "/yuqing-meta/_doc/analysis_seq"),
        ("GET", "/yuqing-meta/_doc/analysis_seq"),
        ("PUT", "/yuqing-meta/_doc/analysis_seq"),
        ("POST", f"/{ALIAS}/_search"),
        ("PUT", "/_bulk"),
    ]
    assert sent[2].query == {"if_seq_no": "12", "if_primary_term": "1"} and sent[2].json == {"value": 42}
    assert sent[4].query == {"if_seq_no": "13", "if_primary_term": "1"} and sent[4].json == {"value": 46}
    lines = sent[-1].ndjson
    assert lines[0] == {"index": {"_id": FEES.id, "_index": INDEX, "if_seq_no": 5, "if_primary_term": 1}}
    fees, canteen = lines[1], lines[3]
    assert (fees["analysis_seq"], canteen["analysis_seq"]) == (45, 46)  # the unknown mention takes no number
    assert fees["schemes"] == ["arbitrary-fees"] and fees["level"] == 2 and fees["unit"] == "no1-middle"
    assert fees["flags"] == [{"scheme": "arbitrary-fees", "words": ["乱收费"], "positions": [["title", 10]]}]
    assert fees["analysed_at"] == T0.isoformat(timespec="microseconds")


def test_the_first_analysis_creates_the_counter(es: Any) -> None:
    store = open_store(es)
    es.on("POST", f"/{ALIAS}/_search", search_response([hit(doc_of(FEES))]))
    es.on(
        "GET", "/yuqing-meta/_doc/analysis_seq", (404, {"_index": "yuqing-meta", "_id": "analysis_seq", "found": False})
    )
    es.on("PUT", "/yuqing-meta/_doc/analysis_seq", (201, {"result": "created"}))
    es.on("PUT", "/_bulk", bulk_from_request)
    store.save_analysis([(FEES.id, ANALYSIS)])
    put = next(r for r in es.take() if r.method == "PUT" and r.path.startswith("/yuqing-meta"))
    assert put.query == {"op_type": "create"} and put.json == {"value": 1}


def test_reanalysis_pages_the_matching_ids_and_updates_them_repeated_past_conflicts(es: Any) -> None:
    """No update_by_query (a node without the reindex module has none): the matching ids in id order, then a
    conditional partial update of each; a conflict leaves the document matching, for another round."""
    store = open_store(es)
    a, b = (doc_of(replace(FEES, post_id=str(n))) for n in (1, 2))
    es.on(
        "POST",
        f"/{ALIAS}/_search",
        [
            search_response([hit(a, seq_no=5, sort=[a["id"]]), hit(b, seq_no=6, sort=[b["id"]])]),
            search_response([]),
            search_response([hit(b, seq_no=8, sort=[b["id"]])]),
        ],
    )
    bulks = iter([bulk_response([bulk_item("update", a["id"], 200), bulk_item("update", b["id"], 409)])])
    es.on("PUT", "/_bulk", lambda request: next(bulks, None) or bulk_from_request(request))
    with patch("store.mentions.elastic._CHUNK", 2):
        assert store.request_reanalysis(since=T0, until=T0 + timedelta(days=1)) == 2
    sent = es.take()
    assert [(r.method, r.path) for r in sent] == [
        ("POST", f"/{ALIAS}/_search"),
        ("PUT", "/_bulk"),
        ("POST", f"/{ALIAS}/_search"),  # the page was full: the next one, after the last id (none)
        ("POST", f"/{ALIAS}/_search"),  # a conflict: another round from the start
        ("PUT", "/_bulk"),
    ]
    first = sent[0].json
    assert first == {
        "query": {
            "bool": {
                "filter": [
                    {"exists": {"field": "analysed_at"}},
                    {
                        "range": {
                            "discovered_at": {
                                "gte": "2026-03-05T08:10:00.000000+00:00",
                                "lt": "2026-03-06T08:10:00.000000+00:00",
                            }
                        }
                    },
                ]
            }
        },
        "sort": [{"id": {"order": "asc"}}],
        "size": 2,
        "_source": False,
        "seq_no_primary_term": True,
    }
    assert sent[2].json == {**first, "search_after": [b["id"]]}
    assert sent[3].json == first
    assert sent[1].query == {"refresh": "wait_for"}
    assert sent[1].ndjson == [
        {"update": {"_index": INDEX, "_id": a["id"], "if_seq_no": 5, "if_primary_term": 1}},
        {"doc": {"analysed_at": None}},
        {"update": {"_index": INDEX, "_id": b["id"], "if_seq_no": 6, "if_primary_term": 1}},
        {"doc": {"analysed_at": None}},
    ]
    assert sent[4].ndjson[0]["update"]["if_seq_no"] == 8


# --- reading ------------------------------------------------------------------------------------------------


def test_pending_analysis_new_posts_first_then_the_requeued(es: Any) -> None:
    store = open_store(es)
    es.on("POST", f"/{ALIAS}/_search", [search_response([hit(doc_of(FEES))]), search_response([hit(doc_of(CANTEEN))])])
    assert [m.id for m in store.pending_analysis(5)] == [FEES.id, CANTEEN.id]
    fresh, again = es.take()
    order = [{"discovered_at": {"order": "asc"}}, {"id": {"order": "asc"}}]
    assert fresh.json == {
        "query": {"bool": {"must_not": [{"exists": {"field": "analysed_at"}}, {"exists": {"field": "analysis_seq"}}]}},
        "sort": order,
        "size": 5,
    }
    assert again.json == {
        "query": {
            "bool": {
                "must_not": [{"exists": {"field": "analysed_at"}}],
                "filter": [{"exists": {"field": "analysis_seq"}}],
            }
        },
        "sort": order,
        "size": 4,
    }


def test_counts_and_followers(es: Any) -> None:
    store = open_store(es)
    es.on("POST", f"/{ALIAS}/_count", (200, {"count": 42, "_shards": {"total": 1, "successful": 1}}))
    analysed = apply_crawl(None, FEES, T0.isoformat())[1]
    analysed.update(analysis_seq=8, analysed_at=T0.isoformat(), tokens=["乱收费"], sentiment=-0.6, level=2)
    analysed.update(sentiment_label="negative", flags=[], explanation=["级别 2"], analysis_unit=None)
    es.on("POST", f"/{ALIAS}/_search", search_response([hit(analysed)]))
    assert store.count() == 42 and store.backlog() == 42
    [followed] = store.analysed_since(7, limit=50)
    assert followed.analysis_seq == 8 and followed.analysis is not None and followed.analysis.level == 2
    count, backlog, since = es.take()
    assert count.json == {"query": {"match_all": {}}}
    assert backlog.json == {"query": {"bool": {"must_not": [{"exists": {"field": "analysed_at"}}]}}}
    assert since.json == {
        "query": {"range": {"analysis_seq": {"gt": 7}}},
        "sort": [{"analysis_seq": {"order": "asc"}}],
        "size": 50,
    }


def test_get_many_keeps_the_order_asked_and_reads_documents_exactly(es: Any) -> None:
    store = open_store(es)
    fees = doc_of(FEES, T0.replace(microsecond=123456))
    es.on("POST", f"/{ALIAS}/_search", search_response([hit(doc_of(CANTEEN)), hit(fees)]))
    found = store.get_many([FEES.id, "nope:1", CANTEEN.id])
    assert [m.id for m in found] == [FEES.id, CANTEEN.id]
    m = found[0]
    assert m.discovered_at == T0.replace(microsecond=123456)  # microseconds survive in _source
    assert m.published_at == datetime(2026, 3, 5, 7, 0, tzinfo=UTC) and m.published_at.utcoffset() == timedelta(0)
    assert (m.title, m.author, m.reply_count, m.unit, m.analysis) == (FEES.title, "一位家长", 3, "county-edu", None)


def _first_page_answer() -> tuple[int, dict[str, Any]]:
    fees_ms = int(T0.timestamp() * 1000)
    hits = [
        {
            **hit(doc_of(CANTEEN, T0 + timedelta(minutes=30)), sort=[fees_ms + 1_800_000, CANTEEN.id]),
            "highlight": {"title": ["城关一中<em>食堂</em>饭菜发霉"]},
        },
        {**hit(doc_of(FEES), sort=[fees_ms, FEES.id])},
        {**hit(doc_of(replace(FEES, post_id="0999")), sort=[fees_ms - 1, "baixing:0999"])},
    ]
    aggregations = {
        "by_day": {"buckets": [{"key_as_string": "2026-03-05T00:00:00.000Z", "key": 1772668800000, "doc_count": 3}]},
        "units": {
            "doc_count_error_upper_bound": 0,
            "sum_other_doc_count": 0,
            "buckets": [{"key": "county-edu", "doc_count": 3}],
        },
        "levels": {
            "doc_count_error_upper_bound": 0,
            "sum_other_doc_count": 0,
            "buckets": [{"key": 3, "doc_count": 2}, {"key": 0, "doc_count": 1}],
        },
    }
    return search_response(hits, total=3, aggregations=aggregations)


def test_highlights_are_read_as_the_embedded_store_writes_them(es: Any) -> None:
    """Recording: Elasticsearch 7.10.2's fragment for the title "<b>食堂</b>" marks each Han character and
    escapes "/" as &#x2F;; the embedded store marks the word and leaves "/" (the contract suite checks both)."""
    store = open_store(es)
    recorded = "&lt;b&gt;<em>食</em><em>堂</em>&lt;&#x2F;b&gt;"
    answer = {**hit(doc_of(CANTEEN), sort=[int(T0.timestamp() * 1000), CANTEEN.id]), "highlight": {"title": [recorded]}}
    es.on("POST", f"/{ALIAS}/_search", search_response([answer], total=1))
    result = store.search(SearchQuery(text="食堂", highlight=True))
    assert result.highlights == {CANTEEN.id: {"title": ["&lt;b&gt;<em>食堂</em>&lt;/b&gt;"]}}


def test_search_body_filters_aggregations_highlight_and_cursor(es: Any) -> None:
    store = open_store(es)
    es.on(
        "POST",
        f"/{ALIAS}/_search",
        [_first_page_answer(), search_response([hit(doc_of(replace(FEES, post_id="0999")), sort=[1, "x"])], total=3)],
    )
    query = SearchQuery(
        text="食堂 学生",
        since=T0.astimezone(CST),
        until=T0 + timedelta(days=1),
        sources=("baixing",),
        units=("county-edu",),
        sentiment_labels=("negative",),
        schemes=("food-safety", "bullying"),
        min_level=2,
        size=2,
        aggs=(DateHistogram("by_day"), Terms("units", "unit", size=5), Terms("levels", "level")),
        highlight=True,
    )
    result = store.search(query)
    [first] = es.take()  # newest first needs no point in time: (discovery time, id) never changes
    assert (first.method, first.path) == ("POST", f"/{ALIAS}/_search")
    word = lambda t: {  # noqa: E731
        "bool": {
            "should": [
                {"term": {"title_tokens": {"value": t, "boost": 3.0}}},
                {"term": {"content_tokens": {"value": t}}},
            ],
            "minimum_should_match": 1,
        }
    }
    assert first.json == {
        "query": {
            "bool": {
                "filter": [
                    {
                        "range": {
                            "discovered_at": {
                                "gte": "2026-03-05T08:10:00.000000+00:00",
                                "lt": "2026-03-06T08:10:00.000000+00:00",
                            }
                        }
                    },
                    {"terms": {"source": ["baixing"]}},
                    {"terms": {"unit": ["county-edu"]}},
                    {"terms": {"sentiment_label": ["negative"]}},
                    {"terms": {"schemes": ["food-safety", "bullying"]}},
                    {"range": {"level": {"gte": 2}}},
                ],
                "must": [word("食堂"), word("学生")],
            }
        },
        "sort": [{"discovered_at": {"order": "desc"}}, {"id": {"order": "desc"}}],
        "size": 3,
        "track_total_hits": True,
        "seq_no_primary_term": False,
        "_source": {"excludes": ["title_tokens", "content_tokens"]},
        "aggs": {
            "by_day": {
                "date_histogram": {
                    "field": "discovered_at",
                    "calendar_interval": "day",
                    "time_zone": "UTC",
                    "min_doc_count": 1,
                }
            },
            "units": {"terms": {"field": "unit", "size": 5, "order": [{"_count": "desc"}, {"_key": "asc"}]}},
            "levels": {"terms": {"field": "level", "size": 10, "order": [{"_count": "desc"}, {"_key": "asc"}]}},
        },
        "highlight": {
            "pre_tags": ["<em>"],
            "post_tags": ["</em>"],
            "encoder": "html",
            "fields": {
                "title": {"number_of_fragments": 3, "fragment_size": 120},
                "content": {"number_of_fragments": 3, "fragment_size": 120},
            },
            "highlight_query": {
                "bool": {
                    "should": [
                        {"match_phrase": {"title": "食堂"}},
                        {"match_phrase": {"content": "食堂"}},
                        {"match_phrase": {"title": "学生"}},
                        {"match_phrase": {"content": "学生"}},
                    ],
                    "minimum_should_match": 1,
                }
            },
        },
    }
    # The answer, read back: one page of two, the total, buckets, highlights, and a cursor.
    assert result.total == 3 and [m.id for m in result.hits] == [CANTEEN.id, FEES.id]
    assert [(b.key, b.count) for b in result.aggregations["by_day"]] == [("2026-03-05T00:00:00+00:00", 3)]
    assert [(b.key, b.count) for b in result.aggregations["units"]] == [("county-edu", 3)]
    assert [(b.key, b.count) for b in result.aggregations["levels"]] == [("3", 2), ("0", 1)]
    assert result.highlights == {CANTEEN.id: {"title": ["城关一中<em>食堂</em>饭菜发霉"]}}
    assert result.next_cursor is not None
    cursor = json.loads(base64.urlsafe_b64decode(result.next_cursor + "=="))
    assert cursor == {"sort": "time", "after": [int(T0.timestamp() * 1000), FEES.id]}

    last = store.search(replace(query, cursor=result.next_cursor))
    [second] = es.take()
    assert second.json["search_after"] == [int(T0.timestamp() * 1000), FEES.id] and "pit" not in second.json
    assert last.next_cursor is None and len(last.hits) == 1


def test_relevance_pages_are_read_in_a_point_in_time(es: Any) -> None:
    store = open_store(es)
    es.on("POST", f"/{ALIAS}/_pit", (200, {"id": "pit-A"}))
    page1 = [
        hit(doc_of(CANTEEN), sort=[3.5, 1772700000000, CANTEEN.id, 14]),  # the PIT's implicit _shard_doc last
        hit(doc_of(FEES), sort=[2.0, 1772600000000, FEES.id, 3]),
    ]
    page2 = [hit(doc_of(replace(FEES, post_id="0999")), sort=[1.0, 1772500000000, "baixing:0999", 2])]
    es.on("POST", "/_search", [search_response(page1, total=2, pit_id="pit-B"), search_response(page2, pit_id="pit-C")])
    es.on("DELETE", "/_pit", (200, {"succeeded": True, "num_freed": 1}))
    query = SearchQuery(text="食堂", sort="relevance", size=1)
    first = store.search(query)
    pit, search = es.take()
    assert (pit.method, pit.path, pit.query) == ("POST", f"/{ALIAS}/_pit", {"keep_alive": "2m"})
    assert (search.method, search.path) == ("POST", "/_search")  # in a point in time: no index in the path
    assert search.json["pit"] == {"id": "pit-A", "keep_alive": "2m"} and "search_after" not in search.json
    assert search.json["sort"] == [
        {"_score": {"order": "desc"}},
        {"discovered_at": {"order": "desc"}},
        {"id": {"order": "desc"}},
    ]
    assert [m.id for m in first.hits] == [CANTEEN.id] and first.next_cursor is not None
    cursor = json.loads(base64.urlsafe_b64decode(first.next_cursor + "=="))
    assert cursor == {"sort": "relevance", "after": [3.5, 1772700000000, CANTEEN.id], "pit": "pit-B", "tie": 14}

    last = store.search(replace(query, cursor=first.next_cursor))
    second, close = es.take()
    assert second.json["pit"] == {"id": "pit-B", "keep_alive": "2m"}  # the newest id the cluster gave
    assert second.json["search_after"] == [3.5, 1772700000000, CANTEEN.id, 14]
    assert [m.id for m in last.hits] == ["baixing:0999"] and last.next_cursor is None
    assert (close.method, close.path, close.json) == ("DELETE", "/_pit", {"id": "pit-C"})  # the last page frees it


def test_relevance_sort_and_an_expired_point_in_time(es: Any) -> None:
    store = open_store(es)
    cursor = base64.urlsafe_b64encode(
        json.dumps({"sort": "relevance", "after": [2.5, 1772700000000, FEES.id], "pit": "old", "tie": 9}).encode()
    ).decode()
    expired = es.error(404, "search_phase_execution_exception", "No search context found for id [77]")
    es.on("POST", "/_search", expired)
    es.on("POST", f"/{ALIAS}/_search", search_response([hit(doc_of(CANTEEN), sort=[1.25, 1772600000000, CANTEEN.id])]))
    result = store.search(SearchQuery(text="食堂", sort="relevance", size=1, cursor=cursor))
    in_pit, live = es.take()
    assert in_pit.json["sort"] == [
        {"_score": {"order": "desc"}},
        {"discovered_at": {"order": "desc"}},
        {"id": {"order": "desc"}},
    ]
    assert in_pit.json["search_after"] == [2.5, 1772700000000, FEES.id, 9]
    assert "pit" not in live.json and live.json["search_after"] == [2.5, 1772700000000, FEES.id]
    assert [m.id for m in result.hits] == [CANTEEN.id] and result.next_cursor is None
    # A relevance cursor from such a page carries no point in time: the next page is read live too.
    plain = base64.urlsafe_b64encode(
        json.dumps({"sort": "relevance", "after": [1.25, 1772600000000, CANTEEN.id]}).encode()
    ).decode()
    store.search(SearchQuery(text="食堂", sort="relevance", size=1, cursor=plain))
    [again] = es.take()
    assert again.path == f"/{ALIAS}/_search" and again.json["search_after"] == [1.25, 1772600000000, CANTEEN.id]


@pytest.mark.parametrize("text", ["😀", "！？。，"])
def test_a_query_with_no_word_sends_nothing(es: Any, text: str) -> None:
    store = open_store(es)
    result = store.search(SearchQuery(text=text, aggs=(Terms("s", "source"),)))
    assert (result.total, result.hits, result.aggregations) == (0, [], {"s": []})
    assert es.take() == []


def test_invalid_cursors_are_refused_before_any_request(es: Any) -> None:
    store = open_store(es)
    bad_pit = base64.urlsafe_b64encode(json.dumps({"sort": "time", "after": [1, "x"], "pit": 5}).encode()).decode()
    time_pit = {"sort": "time", "after": [1, "x"], "pit": "p", "tie": 1}  # time pages are never in a PIT
    for cursor in ["garbage!!", bad_pit, base64.urlsafe_b64encode(json.dumps(time_pit).encode()).decode()]:
        with pytest.raises(ValueError, match="invalid cursor"):
            store.search(SearchQuery(cursor=cursor))
    assert es.take() == []


# --- what the crawlers keep track of ------------------------------------------------------------------------


def test_record_counts_and_marks(es: Any) -> None:
    store = open_store(es)
    es.on("POST", f"/{ALIAS}/_search", search_response([hit(doc_of(FEES), seq_no=2)]))
    es.on("PUT", "/_bulk", bulk_from_request)
    later = T0 + timedelta(hours=2)
    assert store.record_counts([CountUpdate(FEES.id, 20, None, "已回复"), CountUpdate("nope:1", 1, 1)], now=later) == 1
    lookup, bulk = es.take()
    assert ids_asked(lookup) == [FEES.id, "nope:1"]
    _action, doc = bulk.ndjson  # the unknown id is not written
    assert (doc["reply_count"], doc["view_count"], doc["status"]) == (20, 120, "已回复")
    assert doc["counts"][-1] == {"at": later.isoformat(timespec="microseconds"), "reply_count": 20, "view_count": 120}
    assert doc["last_seen_at"] == later.isoformat(timespec="microseconds")

    assert store.mark_deleted([FEES.id], now=later) == 1
    _lookup, bulk = es.take()
    assert bulk.ndjson[1]["deleted_at"] == later.isoformat(timespec="microseconds")
    gone = {**doc_of(FEES), "deleted_at": later.isoformat()}
    es.on("POST", f"/{ALIAS}/_search", search_response([hit(gone)]))
    assert store.mark_deleted([FEES.id]) == 0
    assert [r.path for r in es.take()] == [f"/{ALIAS}/_search"]  # already marked: nothing written


def test_revisit_same_content_and_high_water_mark(es: Any) -> None:
    store = open_store(es)
    es.on("POST", f"/{ALIAS}/_search", search_response([hit(doc_of(FEES))]))
    since, before = T0 - timedelta(days=3), T0 - timedelta(hours=1)
    assert [m.id for m in store.revisit_due("baixing", published_since=since, seen_before=before, limit=30)] == [
        FEES.id
    ]
    assert store.same_content("baixing", ["h1", "h2", "h1"]) == {FEES.id and doc_of(FEES)["content_hash"]: FEES.id}
    assert store.latest_published("baixing") == datetime(2026, 3, 5, 7, 0, tzinfo=UTC)
    revisit, same, latest = es.take()
    iso_since, iso_before = since.isoformat(timespec="microseconds"), before.isoformat(timespec="microseconds")
    assert revisit.json["query"]["bool"]["filter"][0] == {"term": {"source": "baixing"}}
    assert revisit.json["query"]["bool"]["must_not"] == [{"exists": {"field": "deleted_at"}}]
    assert {"range": {"published_at": {"gte": iso_since}}} in revisit.json["query"]["bool"]["filter"][1]["bool"][
        "should"
    ]
    assert {"range": {"last_seen_at": {"lt": iso_before}}} in revisit.json["query"]["bool"]["filter"][2]["bool"][
        "should"
    ]
    assert revisit.json["sort"][0] == {"last_seen_at": {"order": "asc", "missing": "_first"}}
    assert revisit.json["size"] == 30
    assert same.json == {
        "query": {"bool": {"filter": [{"term": {"source": "baixing"}}, {"terms": {"content_hash": ["h1", "h2"]}}]}},
        "collapse": {"field": "content_hash"},
        "sort": [{"id": {"order": "asc"}}],
        "size": 2,
        "_source": ["id", "content_hash"],
    }
    assert latest.json["sort"] == [{"published_at": {"order": "desc"}}] and latest.json["size"] == 1


def test_every_field_the_store_writes_is_mapped() -> None:
    """The mapping is strict: a field written but not mapped would make the cluster refuse every document."""
    mapped = set(MAPPINGS["properties"])
    crawled = doc_of(FEES)
    analysed = apply_analysis(crawled, ANALYSIS, stamp=crawled["discovered_at"], seq=1)
    migrated = from_mention(to_mention(analysed), crawl_unit="county-edu", counts=[])
    for doc in (crawled, analysed, migrated):
        assert set(with_heat(doc)) == mapped  # the store adds the heat key to whatever it writes
    assert to_mention(migrated) == to_mention(analysed)


def test_aliases_are_meta_documents_created_once_and_known(es: Any) -> None:
    store = open_store(es)
    es.on("PUT", "/_bulk", bulk_from_request)
    store.add_aliases({"tieba:2": "tieba:1"})
    [bulk] = es.take()
    assert bulk.ndjson == [{"create": {"_index": "yuqing-meta", "_id": "alias:tieba:2"}}, {"alias_of": "tieba:1"}]
    es.on("POST", f"/{ALIAS}/_search", search_response([hit(doc_of(FEES))]))
    es.on(
        "POST",
        "/yuqing-meta/_mget",
        (200, {"docs": [{"_id": "alias:tieba:2", "found": True}, {"_id": "alias:tieba:9", "found": False}]}),
    )
    assert store.known_ids([FEES.id, "tieba:2", "tieba:9"]) == {FEES.id, "tieba:2"}
    lookup, mget = es.take()
    assert lookup.json["query"] == {"ids": {"values": [FEES.id, "tieba:2", "tieba:9"]}}
    assert mget.json == {"ids": ["alias:tieba:2", "alias:tieba:9"]}


def test_a_boolean_query_becomes_a_bool_tree_over_the_token_fields(es: Any) -> None:
    store = open_store(es)
    es.on("POST", f"/{ALIAS}/_search", search_response([]))
    store.search(SearchQuery(text="(食堂 OR 欺凌) NOT 演练", highlight=True))
    [sent] = es.take()

    def word(t: str) -> dict[str, Any]:
        return {
            "bool": {
                "should": [
                    {"term": {"title_tokens": {"value": t, "boost": 3.0}}},
                    {"term": {"content_tokens": {"value": t}}},
                ],
                "minimum_should_match": 1,
            }
        }

    assert sent.json["query"]["bool"]["must"] == [
        {
            "bool": {
                "must": [{"bool": {"should": [word("食堂"), word("欺凌")], "minimum_should_match": 1}}],
                "must_not": [word("演练")],
            }
        }
    ]
    # Highlights mark what a hit may contain, never the words it was required to lack.
    phrases = sent.json["highlight"]["highlight_query"]["bool"]["should"]
    assert {p["match_phrase"]["title"] for p in phrases if "title" in p["match_phrase"]} == {"食堂", "欺凌"}


def test_heat_order_sorts_by_replies_and_views_in_a_point_in_time_and_events_filter(es: Any) -> None:
    store = open_store(es)
    es.on("POST", f"/{ALIAS}/_pit", (200, {"id": "pit-H"}))
    es.on("POST", "/_search", search_response([]))
    es.on("DELETE", "/_pit", (200, {"succeeded": True, "num_freed": 1}))
    store.search(SearchQuery(sort="heat", events=("evt-1",)))
    pit, search, close = es.take()
    assert (pit.path, search.path, close.path) == (f"/{ALIAS}/_pit", "/_search", "/_pit")
    # The stored key, not a script: a cluster without painless sorts on it too; none stored counts as 0.
    assert search.json["sort"][0] == {"heat": {"order": "desc", "missing": 0}}
    assert search.json["sort"][1:] == [{"discovered_at": {"order": "desc"}}, {"id": {"order": "desc"}}]
    assert {"terms": {"event_id": ["evt-1"]}} in search.json["query"]["bool"]["filter"]


def test_the_post_type_is_a_keyword_filter_and_terms_field() -> None:
    from store.mentions.elastic_query import bool_query

    assert MAPPINGS["properties"]["post_type"] == {"type": "keyword"} and TEMPLATE_VERSION >= 4
    filters = bool_query(SearchQuery(post_types=("咨询", "建议"), min_level=1), None)["bool"]["filter"]
    assert {"terms": {"post_type": ["咨询", "建议"]}} in filters
    assert not [f for f in bool_query(SearchQuery(), None)["bool"]["filter"] if "post_type" in json.dumps(f)]
