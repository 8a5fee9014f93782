"""Exercise a node through the elasticsearch-py 8 client: each step prints OK or the error."""
import sys, traceback
from elasticsearch import Elasticsearch, helpers

url = sys.argv[1]
es = Elasticsearch(url, request_timeout=60)
results = []

def step(name, fn):
    try:
        out = fn()
        print(f"OK   {name}: {out}")
        results.append((name, True))
    except Exception as e:  # report, keep going
        print(f"FAIL {name}: {type(e).__name__}: {str(e)[:400]}")
        results.append((name, False))

step("info", lambda: es.info().body["version"]["number"])
_old = list(es.indices.get(index="check-*", expand_wildcards="all").body)
if _old:
    es.indices.delete(index=",".join(_old))
es.options(ignore_status=404).indices.delete_index_template(name="check-tpl")

step("index template (composable) with analysis + mapping", lambda: es.indices.put_index_template(
    name="check-tpl", index_patterns=["check-*"], priority=10,
    template={
        "settings": {"number_of_shards": 1, "number_of_replicas": 0,
                     "analysis": {"analyzer": {"raw": {"type": "custom", "tokenizer": "standard", "filter": ["cjk_width", "lowercase"]}}}},
        "mappings": {"properties": {
            "title": {"type": "text", "analyzer": "raw"},
            "tokens": {"type": "text", "analyzer": "whitespace"},
            "source": {"type": "keyword"},
            "uid": {"type": "keyword"},
            "published_at": {"type": "date"},
            "heat": {"type": "float"}}},
        "aliases": {"check-read": {}}}).body)
step("create index with write alias", lambda: es.indices.create(index="check-000001", aliases={"check": {"is_write_index": True}}).body)
step("mapping applied from template", lambda: es.indices.get_mapping(index="check-000001").body["check-000001"]["mappings"]["properties"]["title"])
step("analyze cjk_width+lowercase", lambda: [t["token"] for t in es.indices.analyze(index="check-000001", analyzer="raw", text="ＡＢＣ舆情ｄｅｆ").body["tokens"]])
docs = [
    {"_index": "check", "_id": str(i), "uid": str(i), "title": t, "tokens": tok, "source": s, "published_at": d, "heat": h}
    for i, (t, tok, s, d, h) in enumerate([
        ("某市自来水污染 居民投诉", "自来水 污染 投诉", "weibo", "2026-03-01T08:00:00Z", 5.0),
        ("自来水公司回应污染传闻", "自来水 回应 污染", "news", "2026-03-02T09:00:00Z", 9.5),
        ("地铁延误引发不满", "地铁 延误 不满", "weibo", "2026-03-02T10:00:00Z", 3.2),
        ("ＡＢＣ公司 产品召回", "ABC 召回", "forum", "2026-03-03T11:00:00Z", 7.7),
        ("自来水恢复供应", "自来水 恢复", "news", "2026-03-04T12:00:00Z", 1.1),
    ])
]
step("bulk index via alias", lambda: helpers.bulk(es, docs, refresh="wait_for"))
step("count via read alias", lambda: es.count(index="check-read").body["count"])
def boolq():
    r = es.search(index="check", query={"bool": {"must": [{"match_phrase": {"title": "自来水"}}],
                                                 "filter": [{"term": {"source": "news"}}],
                                                 "must_not": [{"match": {"tokens": "恢复"}}]}},
                  highlight={"fields": {"title": {}}})
    return [(h["_id"], h["highlight"]["title"]) for h in r["hits"]["hits"]]
step("bool query + highlight", boolq)
step("full-width query folds (abc)", lambda: [h["_id"] for h in es.search(index="check", query={"match_phrase": {"title": "abc"}})["hits"]["hits"]])
step("terms aggregation", lambda: {b["key"]: b["doc_count"] for b in es.search(index="check", size=0, aggs={"s": {"terms": {"field": "source"}}})["aggregations"]["s"]["buckets"]})
step("date_histogram aggregation", lambda: [(b["key_as_string"], b["doc_count"]) for b in es.search(index="check", size=0, aggs={"d": {"date_histogram": {"field": "published_at", "calendar_interval": "day", "time_zone": "+08:00"}}})["aggregations"]["d"]["buckets"]])
def sa():
    pages, after = [], None
    while True:
        kw = {"search_after": after} if after else {}
        r = es.search(index="check", size=2, sort=[{"published_at": "desc"}, {"uid": "asc"}], **kw)
        hits = r["hits"]["hits"]
        if not hits: return pages
        pages.append([h["_id"] for h in hits]); after = hits[-1]["sort"]
step("search_after paging", sa)
step("update alias actions", lambda: es.indices.update_aliases(actions=[{"add": {"index": "check-000001", "alias": "check-extra"}}]).body)
step("get alias", lambda: sorted(es.indices.get_alias(index="check-000001").body["check-000001"]["aliases"]))
step("rollover (no ILM, explicit)", lambda: es.indices.rollover(alias="check").body["new_index"])
step("painless script sort", lambda: [h["_id"] for h in es.search(index="check", sort=[{"_script": {"type": "number", "script": {"lang": "painless", "source": "doc['heat'].value"}, "order": "desc"}}])["hits"]["hits"]])
step("update_by_query (reindex module)", lambda: es.update_by_query(index="check", query={"match_all": {}}, refresh=True).body.get("updated"))
step("ILM put_lifecycle", lambda: es.ilm.put_lifecycle(name="check-pol", policy={"phases": {"hot": {"actions": {"rollover": {"max_age": "30d"}}}}}).body)
step("delete by index name", lambda: es.indices.delete(index="check-000001,check-000002").body)
step("delete template", lambda: es.indices.delete_index_template(name="check-tpl").body)
print(f"{sum(ok for _, ok in results)} passed, {sum(not ok for _, ok in results)} failed")
