"""Alembic environment: runs migrations on the URL the caller configured."""

from __future__ import annotations

from alembic import context

from store.workflow.db import make_engine

config = context.config
metadata = config.attributes.get("target_metadata")  # only autogenerate needs it
url = config.get_main_option("sqlalchemy.url")
assert url, "sqlalchemy.url must be set by store.workflow.migrate.alembic_config"

engine = make_engine(url)
with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()
