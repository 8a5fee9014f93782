"""What a node can and cannot do, through the elasticsearch-py 8 client: each step prints OK or the error.

    .venv/bin/python tools/es-node/check.py http://127.0.0.1:PORT

The store's behaviour on the node is the contract suite's (tests/store with YUQING_TEST_ES_URL); this only
names the optional parts a cluster may lack (scripts, the reindex module, ILM) and the analysis the store needs.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from elasticsearch import Elasticsearch

INDEX = "check-000001"
HEAT_SCRIPT = {"lang": "painless", "source": "doc['heat'].value"}
ANALYSIS = {"analyzer": {"raw": {"type": "custom", "tokenizer": "standard", "filter": ["cjk_width", "lowercase"]}}}


def main(url: str) -> int:
    es = Elasticsearch(url, request_timeout=60)
    results: list[bool] = []

    def step(name: str, run: Callable[[], Any]) -> None:
        try:
            print(f"OK   {name}: {run()}")
            results.append(True)
        except Exception as exc:  # report and go on: the point is the whole list
            print(f"FAIL {name}: {type(exc).__name__}: {str(exc)[:400]}")
            results.append(False)

    step("info", lambda: es.info().body["version"]["number"])
    es.options(ignore_status=404).indices.delete(index=INDEX)
    settings = {"number_of_shards": 1, "number_of_replicas": 0, "analysis": ANALYSIS}
    mappings = {"properties": {"title": {"type": "text", "analyzer": "raw"}, "heat": {"type": "long"}}}
    step("index with cjk_width", lambda: es.indices.create(index=INDEX, settings=settings, mappings=mappings).body)
    step(
        "analyze cjk_width + lowercase",
        lambda: [t["token"] for t in es.indices.analyze(index=INDEX, analyzer="raw", text="ＡＢＣ舆情").body["tokens"]],
    )
    step("index a document", lambda: es.index(index=INDEX, id="1", document={"title": "舆情", "heat": 3}).body)
    step("refresh", lambda: es.indices.refresh(index=INDEX).body)
    script_sort = [{"_script": {"type": "number", "script": HEAT_SCRIPT, "order": "desc"}}]
    step("painless script sort", lambda: len(es.search(index=INDEX, sort=script_sort)["hits"]["hits"]))
    step("update_by_query (module reindex)", lambda: es.update_by_query(index=INDEX, refresh=True).body["updated"])
    policy = {"phases": {"hot": {"actions": {"rollover": {"max_age": "30d"}}}}}
    step("ILM put_lifecycle (x-pack-ilm)", lambda: es.ilm.put_lifecycle(name="check-policy", policy=policy).body)
    es.options(ignore_status=404).indices.delete(index=INDEX)
    print(f"{sum(results)} OK, {len(results) - sum(results)} failed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
