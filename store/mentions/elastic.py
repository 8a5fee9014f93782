"""The `MentionStore` on Elasticsearch 8/9, with the official client (8.x: its compatibility header,
`compatible-with=8`, is accepted by 8.x and 9.x servers alike).

Writes are read-modify-write with optimistic concurrency: the documents are read with their sequence numbers,
changed by the pure functions of elastic_docs, and written back by `helpers.streaming_bulk` with
`if_seq_no`/`if_primary_term` (or `create` for a new id), so a concurrent writer is never overwritten: a
version conflict (409) re-reads that document and applies the change again. Writes wait for a refresh (or force
one: `ElasticOptions.refresh`), so a write is visible to the next search, as in the embedded store.

analysis_seq comes from a counter document in the meta index, reserved a block at a time with the same
optimistic concurrency. A follower (alerting) reads past the highest number it saw, so numbers must become
visible in order: saves are serialised within a process, and only the one scheduler saves analyses.
"""

from __future__ import annotations

import logging
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import elastic_transport
from elasticsearch import ApiError, Elasticsearch, NotFoundError, UnsupportedProductError, helpers

from store.mentions import elastic_query as q
from store.mentions.elastic_crawl import ElasticCrawlStateMixin, Stored
from store.mentions.elastic_docs import (
    Doc,
    apply_analysis,
    iso,
    to_mention,
    with_heat,
)
from store.mentions.elastic_schema import (
    MAPPINGS,
    TEMPLATE_VERSION,
    IndexNames,
    bootstrap_index,
    ilm_policy,
    index_template,
    meta_index,
    uses_ilm,
)
from store.mentions.model import (
    Analysis,
    Bucket,
    Mention,
    MentionStoreUnavailable,
    SearchQuery,
    SearchResult,
)
from store.mentions.textsearch import Plan, plan

log = logging.getLogger(__name__)

SUPPORTED_MAJORS = (8, 9)
MAX_CONFLICT_ROUNDS = 10  # a document changed under us this often in a row means something is wrong
PIT_KEEP_ALIVE = "2m"  # between two page requests of one reader
_CHUNK = 500
_SEQ_DOC = "analysis_seq"


class ElasticsearchVersionError(MentionStoreUnavailable):
    """The server answered, but is not a version this client speaks to."""


class ConflictsPersisted(RuntimeError):
    pass


@dataclass(frozen=True)
class ElasticOptions:
    url: str
    index_prefix: str = "yuqing"
    username: str | None = None
    password: str | None = None  # never in a log line or an error (see __repr__)
    api_key: str | None = None
    ca_certs: str | None = None
    shards: int = 1
    replicas: int = 1
    retention_days: int = 730
    timeout_seconds: float = 30.0
    # Writes return once searchable: "wait_for" the index's next scheduled refresh (production), or "true",
    # a refresh per bulk request (tests: about 0.02 s instead of up to 1 s a write; many small segments under load).
    refresh: Literal["wait_for", "true"] = "wait_for"

    def __repr__(self) -> str:  # the URL may carry a password too
        return f"ElasticOptions(url={redact(self.url)!r}, index_prefix={self.index_prefix!r})"


def redact(url: str) -> str:
    """The URL without user and password: what errors and logs may show."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, "", ""))


class ElasticMentionStore(ElasticCrawlStateMixin):
    """The `MentionStore` on an Elasticsearch cluster. Thread-safe (the client is); many processes may share it."""

    def __init__(
        self,
        options: ElasticOptions,
        *,
        client: Elasticsearch | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.options = options
        self.names = IndexNames(options.index_prefix)
        self.url = redact(options.url)
        self._seq_lock = threading.Lock()
        self._clock = clock  # which month's index takes new posts where the cluster has no ILM
        self._month_lock = threading.Lock()
        self._month: tuple[int, int] | None = None  # the write index's month, once checked (no ILM only)
        self.ilm = True  # whether the cluster manages the indices' lifecycle; found out by _ensure_template
        self.client = client or self._connect(options)
        self._ensure_schema()

    # --- connection ---------------------------------------------------------------------------------------

    @staticmethod
    def _connect(options: ElasticOptions) -> Elasticsearch:
        parts = urllib.parse.urlsplit(options.url)
        username = options.username or (urllib.parse.unquote(parts.username) if parts.username else None)
        password = options.password or (urllib.parse.unquote(parts.password) if parts.password else None)
        kwargs: dict[str, Any] = {
            "request_timeout": options.timeout_seconds,
            "max_retries": 2,
            "retry_on_timeout": True,
        }
        if options.api_key:
            kwargs["api_key"] = options.api_key
        elif username and password:
            kwargs["basic_auth"] = (username, password)
        if options.ca_certs:
            kwargs["ca_certs"] = options.ca_certs
        return Elasticsearch(redact(options.url), **kwargs)

    @contextmanager
    def _guard(self) -> Iterator[None]:
        """Client errors as errors that name the cluster (never its credentials) and say what to do."""
        try:
            yield
        except elastic_transport.ConnectionError as exc:
            raise MentionStoreUnavailable(
                f"Elasticsearch at {self.url} is unreachable ({type(exc).__name__}): check "
                "YUQING_ELASTICSEARCH_URL and that the cluster is running"
            ) from None
        except elastic_transport.ConnectionTimeout:
            raise MentionStoreUnavailable(f"Elasticsearch at {self.url} did not answer in time") from None
        except ApiError as exc:
            if exc.meta.status in (401, 403):
                raise MentionStoreUnavailable(
                    f"Elasticsearch at {self.url} refused the credentials (HTTP {exc.meta.status}): check "
                    "YUQING_ELASTICSEARCH_USERNAME/PASSWORD or API_KEY"
                ) from None
            raise

    def _info(self) -> Mapping[str, Any]:
        """GET /. The 8.x client rejects a server older than 7.14 (no X-Elastic-Product header) as "not
        Elasticsearch"; its answer still says which version it is, for the caller's clear refusal."""
        try:
            info: Any = self.client.info().body
        except UnsupportedProductError as exc:
            info = exc.body if isinstance(exc.body, Mapping) else {}
            version = info.get("version")
            number = str(version.get("number", "?")) if isinstance(version, Mapping) else "?"
            if number.split(".")[0].isdigit() and int(number.split(".")[0]) in SUPPORTED_MAJORS:
                raise ElasticsearchVersionError(
                    f"the server at {self.url} says it is version {number} but does not answer as Elasticsearch "
                    "does (no X-Elastic-Product header): a proxy in between, or another product "
                    f"(client {'.'.join(map(str, _client_version()))})"
                ) from None
        return info if isinstance(info, Mapping) else {}

    def _ensure_schema(self) -> None:
        with self._guard():
            info = self._info()
            number = str(info.get("version", {}).get("number", "?"))
            major = int(number.split(".")[0]) if number.split(".")[0].isdigit() else 0
            if major not in SUPPORTED_MAJORS:
                raise ElasticsearchVersionError(
                    f"Elasticsearch at {self.url} is version {number}; Yuqing needs 8.x or 9.x "
                    f"(client {'.'.join(map(str, _client_version()))})"
                )
            template_put = self._ensure_template()
            if not self.client.indices.exists_alias(name=self.names.alias):
                first = self.names.bootstrap if self.ilm else self.names.monthly(self._clock())
                self._create(first, bootstrap_index(self.names))
            elif template_put:
                # Indices made from the older template are strict: give the ones behind the alias the fields added
                # since (additive), not only next month's, and the documents already there their heat.
                self.client.indices.put_mapping(index=self.names.alias, properties=MAPPINGS["properties"])
                self._backfill_heat()
            if not self.client.indices.exists(index=self.names.meta):
                self._create(self.names.meta, meta_index(replicas=self.options.replicas))
            if not self.ilm:
                self._keep_monthly()

    def _ensure_template(self) -> bool:
        """Put the ILM policy and index template unless this version is there; whether it was put."""
        try:
            found = self.client.indices.get_index_template(name=self.names.template)
            templates = [t["index_template"] for t in found.get("index_templates", [])]
        except NotFoundError:
            templates = []
        if [t.get("version") for t in templates] == [TEMPLATE_VERSION]:
            self.ilm = uses_ilm(templates[0])  # as it was found out when the template was put
            if not self.ilm:
                self._log_no_ilm()
            return False
        self.ilm = self._put_policy()
        self.client.indices.put_index_template(
            name=self.names.template,
            **index_template(self.names, shards=self.options.shards, replicas=self.options.replicas, ilm=self.ilm),
        )
        log.info("已在 %s 写入索引模板 %s（第 %s 版）", self.url, self.names.template, TEMPLATE_VERSION)
        return True

    def _put_policy(self) -> bool:
        """Put the ILM policy; False when the cluster has no ILM (a node without x-pack-ilm answers that it has
        no handler for the path)."""
        try:
            self.client.ilm.put_lifecycle(
                name=self.names.policy, policy=ilm_policy(retention_days=self.options.retention_days)
            )
            return True
        except ApiError as exc:
            if exc.meta.status not in (400, 404, 405) or not _no_handler(exc.body):
                raise
        self._log_no_ilm()
        return False

    def _log_no_ilm(self) -> None:
        log.warning(
            "Elasticsearch %s 没有索引生命周期管理（ILM）：帖子库自行在 %s 下按月建索引"
            "（每月一个新索引，超过 %d 天的索引删除）",
            self.url,
            self.names.alias,
            self.options.retention_days,
        )

    def _keep_monthly(self) -> None:
        """Without ILM: this month's index takes the new posts, and indices past the retention are deleted."""
        now = self._clock()
        month = (now.year, now.month)
        with self._month_lock, self._guard():
            if self._month is not None and self._month >= month:
                return
            alias = self.names.alias
            behind: dict[str, Any] = dict(self.client.indices.get_alias(name=alias))
            writers = [i for i, v in behind.items() if v.get("aliases", {}).get(alias, {}).get("is_write_index")]
            newest = max((m for m in map(self.names.month_of, writers) if m is not None), default=None)
            if newest is None or newest < month:  # another process may have moved on already
                current = self.names.monthly(now)
                if current not in behind:
                    self._create(current, {})
                actions: list[dict[str, Any]] = [{"add": {"index": current, "alias": alias, "is_write_index": True}}]
                actions += [{"add": {"index": i, "alias": alias, "is_write_index": False}} for i in writers]
                self.client.indices.update_aliases(actions=actions)
                log.info("%s 上的新帖子改存到 %s", self.url, current)
                behind.setdefault(current, {})
            self._delete_expired([i for i in behind if i not in writers], now)
            self._month = month

    def _delete_expired(self, indices: list[str], now: datetime) -> None:
        """Indices whose month ended more than retention_days ago (ILM's delete phase, done by the store)."""
        if self.options.retention_days <= 0:
            return
        expired = []
        for index in indices:
            started = self.names.month_of(index)
            if started is None:
                continue
            year, month = started
            ended = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC)
            if ended + timedelta(days=self.options.retention_days) <= now:
                expired.append(index)
        if expired:
            self.client.indices.delete(index=",".join(sorted(expired)))
            log.info(
                "已删除 %s 上的 %s：超过 %d 天",
                self.url,
                ", ".join(sorted(expired)),
                self.options.retention_days,
            )

    def _backfill_heat(self) -> None:
        """Documents written before the heat key existed get it (read and written back as they are)."""
        while True:
            found = self._search(
                {"query": {"bool": {"must_not": [{"exists": {"field": "heat"}}]}}, "size": _CHUNK, "_source": False}
            )
            ids = [hit["_id"] for hit in found["hits"]["hits"]]
            if not ids:
                return
            self._apply(ids, lambda _key, doc: doc)

    def _create(self, index: str, body: dict[str, Any]) -> None:
        try:
            self.client.indices.create(index=index, **body)
        except ApiError as exc:  # another process created it first
            if exc.meta.status != 400 or exc.error != "resource_already_exists_exception":
                raise

    def close(self) -> None:
        self.client.close()

    # --- reading documents --------------------------------------------------------------------------------

    def _search(self, body: dict[str, Any], *, index: str | None = None) -> dict[str, Any]:
        with self._guard():
            return dict(self.client.search(index=index or self.names.alias, body=body))

    def _lookup(self, ids: list[str]) -> dict[str, Stored]:
        """Documents by id, with where they live and their sequence numbers (for conditional writes)."""
        found: dict[str, Stored] = {}
        unique = list(dict.fromkeys(ids))
        for start in range(0, len(unique), _CHUNK):
            chunk = unique[start : start + _CHUNK]
            response = self._search(
                {"query": {"ids": {"values": chunk}}, "size": len(chunk), "seq_no_primary_term": True}
            )
            for hit in response["hits"]["hits"]:
                found[hit["_id"]] = Stored(hit["_index"], hit["_seq_no"], hit["_primary_term"], hit["_source"])
        return found

    def _hits(self, body: dict[str, Any]) -> list[Mention]:
        return [to_mention(hit["_source"]) for hit in self._search(body)["hits"]["hits"]]

    def get(self, mention_id: str) -> Mention | None:
        found = self.get_many([mention_id])
        return found[0] if found else None

    def get_many(self, mention_ids: list[str]) -> list[Mention]:
        found = self._lookup(mention_ids)
        return [to_mention(found[i].doc) for i in mention_ids if i in found]

    def _count(self, query: dict[str, Any] | None = None) -> int:
        with self._guard():
            response = self.client.count(index=self.names.alias, query=query or {"match_all": {}})
        return int(response["count"])

    def count(self) -> int:
        return self._count()

    def backlog(self) -> int:
        return self._count({"bool": {"must_not": [{"exists": {"field": "analysed_at"}}]}})

    # --- writing ------------------------------------------------------------------------------------------

    def _apply(self, ids: list[str], change: Callable[[str, Doc | None], Doc | None]) -> None:
        """Read, change and conditionally write each document; redo those another writer changed meanwhile.

        `change` gets the stored document (None when there is none) and returns the new one, or None to leave
        it. It may be called more than once for a document, always with the latest stored version."""
        pending = list(dict.fromkeys(ids))
        for _round in range(MAX_CONFLICT_ROUNDS):
            stored = self._lookup(pending)
            actions: list[dict[str, Any]] = []
            for key in pending:
                current = stored.get(key)
                new = change(key, current.doc if current else None)
                if new is None:
                    continue
                new = with_heat(new)  # whatever changed the counts, the heat key follows
                if current is None:
                    actions.append({"_op_type": "create", "_index": self.names.alias, "_id": key, "_source": new})
                else:
                    actions.append(
                        {
                            "_op_type": "index",
                            "_index": current.index,
                            "_id": key,
                            "if_seq_no": current.seq_no,
                            "if_primary_term": current.primary_term,
                            "_source": new,
                        }
                    )
            if not self.ilm and any(a["_op_type"] == "create" for a in actions):
                self._keep_monthly()  # a new month: its index first
            pending = self._bulk(actions)
            if not pending:
                return
            log.info("%s 上有 %d 个版本冲突，重新读取这些文档", self.url, len(pending))
        raise ConflictsPersisted(f"documents kept changing under this writer: {pending[:5]}")

    def _bulk(self, actions: list[dict[str, Any]]) -> list[str]:
        """Write; returns the ids that hit a version conflict (409). Any other failure raises."""
        if not actions:
            return []
        conflicts: list[str] = []
        failures: list[dict[str, Any]] = []
        with self._guard():
            for ok, item in helpers.streaming_bulk(
                self.client,
                actions,
                chunk_size=_CHUNK,
                raise_on_error=False,
                max_retries=3,  # 429: the cluster is busy; back off and send again
                initial_backoff=1,
                refresh=self.options.refresh,
            ):
                if ok:
                    continue
                result = next(iter(item.values()))
                if result.get("status") == 409:
                    conflicts.append(result["_id"])
                else:
                    failures.append(result)
        if failures:
            first = failures[0]
            raise RuntimeError(
                f"Elasticsearch at {self.url} refused {len(failures)} document(s); first: {first.get('_id')}: "
                f"{first.get('error')}"
            )
        return conflicts

    def _reserve_seq(self, count: int) -> int:
        """Reserve `count` analysis numbers; returns the first. A conflict means another process took some."""
        with self._guard():
            for _round in range(MAX_CONFLICT_ROUNDS * 5):
                try:
                    current = self.client.get(index=self.names.meta, id=_SEQ_DOC)
                    value = int(current["_source"]["value"])
                    write: dict[str, Any] = {
                        "if_seq_no": current["_seq_no"],
                        "if_primary_term": current["_primary_term"],
                    }
                except NotFoundError:
                    value, write = 0, {"op_type": "create"}
                try:
                    self.client.index(index=self.names.meta, id=_SEQ_DOC, document={"value": value + count}, **write)
                    return value + 1
                except ApiError as exc:
                    if exc.meta.status != 409:
                        raise
                    time.sleep(0.01)
        raise ConflictsPersisted("the analysis sequence counter kept changing")

    def save_analysis(self, results: list[tuple[str, Analysis]], *, now: datetime | None = None) -> None:
        if not results:
            return
        stamp = iso(now or datetime.now(UTC))
        with self._seq_lock:
            stored = self._lookup([key for key, _ in results])
            known = [(key, a) for key, a in results if key in stored]
            for key, _ in results:
                if key not in stored:
                    log.warning("帖子 %s 不在库中，其分析结果未保存", key)
            if not known:
                return
            first = self._reserve_seq(len(known))
            # The last analysis of a mention given twice wins, with the later number, as in the embedded store.
            planned: dict[str, tuple[int, Analysis]] = {}
            for offset, (key, a) in enumerate(known):
                planned[key] = (first + offset, a)

            def change(key: str, doc: Doc | None) -> Doc | None:
                if doc is None:  # removed meanwhile: nothing to attach the analysis to
                    return None
                seq, a = planned[key]
                return apply_analysis(doc, a, stamp=stamp, seq=seq)

            self._apply(list(planned), change)

    def pending_analysis(self, limit: int, *, newest_first: bool = False) -> list[Mention]:
        if limit <= 0:
            return []
        direction = "desc" if newest_first else "asc"
        order = [{"discovered_at": {"order": direction}}, {"id": {"order": direction}}]
        not_analysed = {"exists": {"field": "analysed_at"}}
        fresh = self._hits(
            {
                "query": {"bool": {"must_not": [not_analysed, {"exists": {"field": "analysis_seq"}}]}},
                "sort": order,
                "size": limit,
            }
        )
        if len(fresh) == limit:
            return fresh
        again = self._hits(
            {
                "query": {"bool": {"must_not": [not_analysed], "filter": [{"exists": {"field": "analysis_seq"}}]}},
                "sort": order,
                "size": limit - len(fresh),
            }
        )
        return fresh + again

    def request_reanalysis(self, *, since: datetime | None = None, until: datetime | None = None) -> int:
        window: dict[str, str] = {}
        if since is not None:
            window["gte"] = iso(since)
        if until is not None:
            window["lt"] = iso(until)
        filters: list[dict[str, Any]] = [{"exists": {"field": "analysed_at"}}]
        if window:
            filters.append({"range": {"discovered_at": window}})
        query = {"bool": {"filter": filters}}
        queued = 0
        for _round in range(MAX_CONFLICT_ROUNDS):
            # The matching ids, page by page in id order, each cleared by a partial update conditional on the
            # version read (no update_by_query: a cluster without the reindex module has none). A document another
            # writer changed meanwhile still matches and is picked up by the next round.
            conflicts = 0
            after: list[Any] | None = None
            while True:
                body: dict[str, Any] = {
                    "query": query,
                    "sort": [{"id": {"order": "asc"}}],
                    "size": _CHUNK,
                    "_source": False,
                    "seq_no_primary_term": True,
                }
                if after is not None:
                    body["search_after"] = after
                hits = self._search(body)["hits"]["hits"]
                actions = [
                    {
                        "_op_type": "update",
                        "_index": hit["_index"],
                        "_id": hit["_id"],
                        "if_seq_no": hit["_seq_no"],
                        "if_primary_term": hit["_primary_term"],
                        "doc": {"analysed_at": None},
                    }
                    for hit in hits
                ]
                failed = len(self._bulk(actions))
                queued += len(actions) - failed
                conflicts += failed
                if len(hits) < _CHUNK:
                    break
                after = hits[-1]["sort"]
            if not conflicts:
                return queued
        raise ConflictsPersisted("mentions kept changing while queueing the re-analysis")

    def analysed_since(self, seq: int, *, limit: int) -> list[Mention]:
        return self._hits(
            {
                "query": {"range": {"analysis_seq": {"gt": seq}}},
                "sort": [{"analysis_seq": {"order": "asc"}}],
                "size": limit,
            }
        )

    # --- search -------------------------------------------------------------------------------------------

    def search(self, query: SearchQuery) -> SearchResult:
        q.check_sizes(query)
        sort: q.Sort = (
            query.sort if query.sort == "heat" or (query.sort == "relevance" and q.has_text(query)) else "time"
        )
        after, pit_id, tie = q.decode_cursor(query.cursor, sort) if query.cursor else (None, None, None)
        tokens = plan(query.text) if q.has_text(query) else None
        if q.has_text(query) and tokens is None:  # only punctuation or emoji: nothing to look for
            return SearchResult(total=0, hits=[], next_cursor=None, aggregations={a.name: [] for a in query.aggs})
        if sort == "time" or (after is not None and pit_id is None):
            # Time order needs no point in time: (discovery time, id) never changes for a mention and new ones
            # sort before any cursor, so pages over the live index neither repeat nor skip (as in the embedded
            # store) — and the dashboard's frequent newest-first pages open no search context each (a cluster
            # allows 300). A relevance cursor whose point in time expired goes on here too.
            live = q.search_body(query, tokens, sort, search_after=after, pit=None)
            return self._result(query, sort, self._search(live), None)
        if pit_id is None:  # the first page by relevance or heat: they would shift as the index changes between pages
            pit_id = self._open_pit()
        search_after = None if after is None else [*after, tie]
        try:
            response = self._search_in_pit(query, tokens, sort, search_after, pit_id)
        except NotFoundError:  # the point in time expired: go on from the same place in the live index
            log.info("时间点（point in time）已过期，不用它继续翻页")
            pit_id = None
            response = self._search(
                q.search_body(query, tokens, sort, search_after=after, pit=None), index=self.names.alias
            )
        return self._result(query, sort, response, pit_id)

    def _open_pit(self) -> str:
        with self._guard():
            return str(self.client.open_point_in_time(index=self.names.alias, keep_alive=PIT_KEEP_ALIVE)["id"])

    def _search_in_pit(
        self, query: SearchQuery, tokens: Plan | None, sort: q.Sort, search_after: list[Any] | None, pit_id: str
    ) -> dict[str, Any]:
        body = q.search_body(
            query, tokens, sort, search_after=search_after, pit={"id": pit_id, "keep_alive": PIT_KEEP_ALIVE}
        )
        with self._guard():
            return dict(self.client.search(body=body))  # a search in a point in time names no index

    def _result(self, query: SearchQuery, sort: q.Sort, response: dict[str, Any], pit_id: str | None) -> SearchResult:
        hits = response["hits"]["hits"]
        page, more = hits[: query.size], len(hits) > query.size
        pit_id = response.get("pit_id", pit_id)  # the id may change from page to page
        next_cursor = None
        if more:
            values = page[-1]["sort"]
            width = 3 if sort in q.SCORED else 2
            tie = values[width] if pit_id is not None and len(values) > width else None
            next_cursor = q.encode_cursor(sort, values[:width], pit=pit_id if tie is not None else None, tie=tie)
        elif pit_id is not None:
            self._close_pit(pit_id)
        aggregations: dict[str, list[Bucket]] = {
            agg.name: q.read_aggregation(agg, response.get("aggregations", {}).get(agg.name, {})) for agg in query.aggs
        }
        highlights = {
            hit["_id"]: {name: [_as_embedded(f) for f in fragments] for name, fragments in hit["highlight"].items()}
            for hit in page
            if hit.get("highlight")
        }
        return SearchResult(
            total=int(response["hits"]["total"]["value"]),
            hits=[to_mention(hit["_source"]) for hit in page],
            next_cursor=next_cursor,
            aggregations=aggregations,
            highlights=highlights,
        )

    def _close_pit(self, pit_id: str) -> None:
        try:
            with self._guard():
                self.client.close_point_in_time(id=pit_id)
        except (ApiError, MentionStoreUnavailable) as exc:  # it expires by itself; never fail a search on this
            log.info("关闭时间点（point in time）失败：%s", exc)

    # --- moving up from the embedded store ----------------------------------------------------------------

    def import_documents(self, docs: list[Doc]) -> int:
        """Write documents as they are (from `yuqing store migrate`), keyed by id; a document already here is
        left as it is, so an interrupted copy can simply run again. Returns how many were new."""

        written: set[str] = set()

        def change(key: str, current: Doc | None) -> Doc | None:
            if current is not None:  # copied before (an interrupted run), or written here since: keep it
                written.discard(key)
                return None
            written.add(key)
            return by_id[key]

        by_id = {d["id"]: d for d in docs}
        self._apply(list(by_id), change)
        return len(written)

    def raise_seq_to(self, value: int) -> None:
        """After an import: new analyses must get numbers above every imported one."""
        with self._seq_lock, self._guard():
            for _round in range(MAX_CONFLICT_ROUNDS):
                try:
                    current = self.client.get(index=self.names.meta, id=_SEQ_DOC)
                    if int(current["_source"]["value"]) >= value:
                        return
                    write: dict[str, Any] = {
                        "if_seq_no": current["_seq_no"],
                        "if_primary_term": current["_primary_term"],
                    }
                except NotFoundError:
                    write = {"op_type": "create"}
                try:
                    self.client.index(index=self.names.meta, id=_SEQ_DOC, document={"value": value}, **write)
                    return
                except ApiError as exc:
                    if exc.meta.status != 409:
                        raise
        raise ConflictsPersisted("the analysis sequence counter kept changing")


def _no_handler(body: Any) -> bool:
    """The answer of a cluster that does not know the path at all (as opposed to refusing the request)."""
    text = body.get("error") if isinstance(body, Mapping) else body
    return isinstance(text, str) and ("no handler found" in text or "Incorrect HTTP method" in text)


def _as_embedded(fragment: str) -> str:
    """A highlight fragment as the embedded store writes it. Elasticsearch's highlighter marks each token
    (one per Han character: <em>食</em><em>堂</em>) where the embedded store marks a word, and its HTML
    encoder escapes "/" too (&#x2F;); both are the same text on a page, but the stores must answer alike."""
    return fragment.replace("</em><em>", "").replace("&#x2F;", "/")


def _client_version() -> tuple[int, ...]:
    from elasticsearch import __versionstr__

    return tuple(int(p) for p in __versionstr__.split(".")[:3] if p.isdigit())
