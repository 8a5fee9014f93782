"""What the Elasticsearch mention store creates: an ILM policy (where the cluster has ILM), an index template with
the mappings, monthly indices behind one alias, and a small meta index for the analysis sequence counter.

Chinese words are cut by jieba on our side (Elasticsearch has no jieba without a plugin, and the embedded store
must find exactly what this one finds), then indexed with the whitespace analyzer beside the raw text. The raw
text keeps a standard analyzer (one token per Han character, width-folded, lower-cased) for highlighting.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

TEMPLATE_VERSION = 4  # bump when the mappings or settings change: the store then puts the template again


@dataclass(frozen=True)
class IndexNames:
    prefix: str

    @property
    def alias(self) -> str:
        """Reads and writes go through this alias; rollover moves its write index month by month."""
        return f"{self.prefix}-mentions"

    @property
    def pattern(self) -> str:
        return f"{self.prefix}-mentions-*"

    @property
    def template(self) -> str:
        return f"{self.prefix}-mentions"

    @property
    def policy(self) -> str:
        return f"{self.prefix}-mentions"

    @property
    def bootstrap(self) -> str:
        """The first index, named by date math: yuqing-mentions-2026.03-000001; rollover names the next ones
        from the same pattern, so every index carries the month it was started in."""
        return f"<{self.prefix}-mentions-{{now/M{{yyyy.MM}}}}-000001>"

    def monthly(self, at: datetime) -> str:
        """The index of `at`'s month (UTC), named as rollover would name it: the store rolls by itself where the
        cluster has no ILM."""
        return f"{self.prefix}-mentions-{at:%Y.%m}-000001"

    def month_of(self, index: str) -> tuple[int, int] | None:
        """(year, month) an index behind the alias was started in; None for a name this store did not make."""
        found = re.fullmatch(rf"{re.escape(self.prefix)}-mentions-(\d{{4}})\.(\d{{2}})-\d+", index)
        return (int(found[1]), int(found[2])) if found else None

    @property
    def meta(self) -> str:
        return f"{self.prefix}-meta"


_KEYWORD = {"type": "keyword"}
_DATE = {"type": "date"}
_STORED_ONLY = {"type": "keyword", "index": False, "doc_values": False}

MAPPINGS: dict[str, Any] = {
    "dynamic": "strict",
    "properties": {
        "id": _KEYWORD,  # _id cannot be sorted on in 8.x; the tie-breaker of every sort
        "source": _KEYWORD,
        "post_id": _KEYWORD,
        "url": _STORED_ONLY,
        "title": {"type": "text", "analyzer": "yuqing_raw"},
        "title_tokens": {"type": "text", "analyzer": "whitespace"},
        "content": {"type": "text", "analyzer": "yuqing_raw"},
        "content_tokens": {"type": "text", "analyzer": "whitespace"},
        "author": {"type": "keyword", "ignore_above": 256},  # as shown on the post; a freak one is kept, unindexed
        "published_at": _DATE,
        "discovered_at": _DATE,
        "updated_at": _DATE,
        "reply_count": {"type": "integer"},
        "view_count": {"type": "integer"},
        "up_votes": {"type": "integer"},
        "down_votes": {"type": "integer"},
        "content_hash": _KEYWORD,
        "crawl_unit": _KEYWORD,
        "analysis_unit": _KEYWORD,
        "unit": _KEYWORD,
        "analysed_at": _DATE,
        "analysis_seq": {"type": "long"},
        "tokens": _STORED_ONLY,
        "sentiment": {"type": "float"},
        "sentiment_label": _KEYWORD,
        "flags": {"type": "object", "enabled": False},  # scheme, words, positions: shown, never queried
        "schemes": _KEYWORD,
        "level": {"type": "integer"},
        "post_type": _KEYWORD,  # 投诉/举报/求助/咨询/建议/表扬/其他 (template version 4)
        "explanation": _STORED_ONLY,
        "event_id": _KEYWORD,
        "status": {"type": "keyword", "ignore_above": 256},
        "notes": _STORED_ONLY,
        "last_seen_at": _DATE,
        "deleted_at": _DATE,
        "edits": {"type": "integer"},
        "official_reply": {"type": "object", "enabled": False},  # text, unit, replied_at: shown, never queried
        "counts": {"type": "object", "enabled": False},  # replies and views over time
        "heat": {"type": "long"},  # the heat sort's key (elastic_docs.heat), kept with the counts
    },
}

ANALYSIS: dict[str, Any] = {
    "analyzer": {
        "yuqing_raw": {"type": "custom", "tokenizer": "standard", "filter": ["cjk_width", "lowercase"]},
    }
}


def ilm_policy(*, retention_days: int) -> dict[str, Any]:
    """Roll over monthly (or at 50 GB a primary shard, whichever first); delete after the retention."""
    phases: dict[str, Any] = {
        "hot": {"actions": {"rollover": {"max_age": "30d", "max_primary_shard_size": "50gb"}}},
    }
    if retention_days > 0:
        phases["delete"] = {"min_age": f"{retention_days}d", "actions": {"delete": {}}}
    return {"phases": phases, "_meta": {"managed_by": "yuqing"}}


def index_template(names: IndexNames, *, shards: int, replicas: int, ilm: bool = True) -> dict[str, Any]:
    """`ilm`: the cluster has index lifecycle management; without it the indices carry no lifecycle setting
    (the cluster would refuse to create them) and the store rolls and deletes them itself."""
    index: dict[str, Any] = {
        "number_of_shards": shards,
        "number_of_replicas": replicas,
        "refresh_interval": "1s",
    }
    if ilm:
        index["lifecycle"] = {"name": names.policy, "rollover_alias": names.alias}
    return {
        "index_patterns": [names.pattern],
        "priority": 200,
        "version": TEMPLATE_VERSION,
        "_meta": {"managed_by": "yuqing"},
        "template": {
            "settings": {
                "index": index,
                "analysis": ANALYSIS,
            },
            "mappings": MAPPINGS,
        },
    }


def uses_ilm(template: dict[str, Any]) -> bool:
    """Whether a stored index template (as GET _index_template answers) was put for a cluster with ILM."""
    index = template.get("template", {}).get("settings", {}).get("index", {})
    return "lifecycle" in index or "lifecycle.name" in index


def bootstrap_index(names: IndexNames) -> dict[str, Any]:
    return {"aliases": {names.alias: {"is_write_index": True}}}


def meta_index(*, replicas: int) -> dict[str, Any]:
    return {
        "settings": {"index": {"number_of_shards": 1, "number_of_replicas": replicas}},
        "mappings": {
            "dynamic": "strict",
            # value: the analysis sequence counter; alias_of: the mention a duplicate post's id stands for.
            "properties": {"value": {"type": "long"}, "alias_of": {"type": "keyword"}},
        },
    }
