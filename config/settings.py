"""Deployment settings from the environment (YUQING_*), loaded once by the composition root."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="YUQING_", extra="ignore")

    config_dir: Path = Field(default=Path("config/example"), description="directory of YAML configuration")
    data_dir: Path = Field(default=Path("data"), description="where the embedded stores keep their files")
    secrets_file: Path | None = None
    playbooks_dir: Path | None = Field(default=None, description="playbook YAML files; default: the shipped ones")
    workflow_db: str | None = Field(
        default=None, description="SQLAlchemy URL; default sqlite:///<data_dir>/workflow.sqlite3"
    )
    mention_store: Literal["sqlite", "elasticsearch"] = Field(
        default="sqlite", description="where mentions live: the embedded SQLite file or an Elasticsearch cluster"
    )
    sqlite_mmap_mb: int = Field(
        default=256,
        ge=0,
        le=65_536,
        description="how much of the embedded mention store's file each pooled connection maps (0: none); RSS can "
        "show up to connections × this on top of the process's own memory, PSS shows the truth (docs/sizing.md)",
    )
    elasticsearch_url: str = Field(default="http://127.0.0.1:9200", description="with mention_store=elasticsearch")
    elasticsearch_username: str | None = None
    elasticsearch_password: SecretStr | None = None  # never logged: errors name the URL without credentials
    elasticsearch_api_key: SecretStr | None = None
    elasticsearch_ca_certs: Path | None = Field(default=None, description="CA bundle for an https cluster")
    elasticsearch_index_prefix: str = Field(default="yuqing", pattern=r"^[a-z0-9][a-z0-9_-]{0,80}$")
    elasticsearch_shards: int = Field(default=1, ge=1, le=64, description="primary shards per monthly index")
    elasticsearch_replicas: int = Field(default=1, ge=0, le=5, description="0 on a single-node cluster")
    elasticsearch_retention_days: int = Field(default=730, ge=0, description="delete indices older; 0 keeps all")
    elasticsearch_timeout_seconds: float = Field(default=30.0, gt=0)
    elasticsearch_refresh: Literal["wait_for", "true"] = Field(
        default="wait_for",
        description="how a write becomes searchable before it returns: wait for the index's next refresh (at most "
        "1 s; cheap for the cluster), or refresh at once ('true': for tests and demos, costly under load)",
    )
    leader_retry_seconds: float = Field(
        default=5.0, gt=0, le=25, description="how often a standby scheduler tries to take the leader lock"
    )
    api_host: str = "127.0.0.1"
    api_port: int = 8600
    public_url: str | None = Field(default=None, description="base URL used in links inside notifications")
    ack_link_days: float = Field(default=7, gt=0, le=365, description="a notification's 确认收到 link expires after")
    analysis_interval_seconds: float = 5.0
    alerting_interval_seconds: float = 2.0
    operations_interval_seconds: float = 60.0  # sources failing, quiet or no longer parsing
    crawl_timeout_seconds: float = 600.0
    redis_url: str | None = Field(
        default=None,
        description="redis://host:port/db: crawls go through a shared queue to `yuqing crawl-worker` processes",
    )
    redis_prefix: str = Field(default="yuqing", description="key prefix, so deployments can share one Redis")
    crawl_lease_seconds: float = Field(
        default=30.0, gt=0, description="a crawl worker silent this long is taken for dead and its jobs requeued"
    )

    @property
    def workflow_url(self) -> str:
        return self.workflow_db or f"sqlite:///{(self.data_dir / 'workflow.sqlite3').resolve()}"

    @property
    def mentions_path(self) -> Path:
        return self.data_dir / "mentions.sqlite3"

    @property
    def base_url(self) -> str:
        return (self.public_url or f"http://{self.api_host}:{self.api_port}").rstrip("/")
