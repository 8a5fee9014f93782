"""Open the mention store the settings name: the embedded SQLite file or an Elasticsearch cluster."""

from __future__ import annotations

from typing import TYPE_CHECKING

from config import Settings
from store.mentions.model import MentionStore

if TYPE_CHECKING:
    from store.mentions.elastic import ElasticOptions


def elastic_options(settings: Settings) -> ElasticOptions:
    from store.mentions.elastic import ElasticOptions

    return ElasticOptions(
        url=settings.elasticsearch_url,
        index_prefix=settings.elasticsearch_index_prefix,
        username=settings.elasticsearch_username,
        password=settings.elasticsearch_password.get_secret_value() if settings.elasticsearch_password else None,
        api_key=settings.elasticsearch_api_key.get_secret_value() if settings.elasticsearch_api_key else None,
        ca_certs=str(settings.elasticsearch_ca_certs) if settings.elasticsearch_ca_certs else None,
        shards=settings.elasticsearch_shards,
        replicas=settings.elasticsearch_replicas,
        retention_days=settings.elasticsearch_retention_days,
        timeout_seconds=settings.elasticsearch_timeout_seconds,
        refresh=settings.elasticsearch_refresh,
    )


def open_mention_store(settings: Settings) -> MentionStore:
    """Each backend is imported only when chosen: the embedded store needs no Elasticsearch client loaded."""
    if settings.mention_store == "elasticsearch":
        from store.mentions.elastic import ElasticMentionStore

        return ElasticMentionStore(elastic_options(settings))
    from store.mentions.sqlite import SqliteMentionStore

    return SqliteMentionStore(settings.mentions_path, mmap_bytes=settings.sqlite_mmap_mb << 20)
