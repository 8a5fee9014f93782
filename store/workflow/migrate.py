"""Bring a workflow database to the current schema with Alembic (SQLite or PostgreSQL).

The store owns the schema and its migrations; `yuqing.models` gathers every domain's tables for autogenerate
(`alembic_config(url, metadata=yuqing.models.metadata)`).
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import MetaData

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str, *, metadata: MetaData | None = None) -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    cfg.attributes["target_metadata"] = metadata
    return cfg


def upgrade(url: str) -> None:
    """Idempotent: a database already at head is left as it is."""
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(url), "head")
