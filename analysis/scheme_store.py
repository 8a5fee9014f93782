"""Schemes edited through the API, kept in the workflow database as overrides of schemes.yaml.

Why the database and not the YAML file: the configuration directory is often read-only (a mounted volume,
/etc under configuration management), several API workers may write at once, and each edit is kept with who
made it. The effective schemes are schemes.yaml with every override replacing the scheme of the same id (or
adding a new one); a scheme is retired by editing it to `enabled: false`. The scheduler picks edits up at its
next analysis tick (`version` changes)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, String, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from config import Config, Scheme
from store.workflow.db import Base, UtcDateTime


class SchemeOverride(Base):
    __tablename__ = "scheme_overrides"

    scheme_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_by: Mapped[str] = mapped_column(String(100))


def overrides(session: Session) -> list[SchemeOverride]:
    return list(session.scalars(select(SchemeOverride).order_by(SchemeOverride.scheme_id)))


def version(session: Session) -> tuple[int, int]:
    """Changes whenever an override is added or edited: (count, sum of revisions)."""
    count, total = session.execute(
        select(func.count(SchemeOverride.scheme_id), func.coalesce(func.sum(SchemeOverride.revision), 0))
    ).one()
    return int(count), int(total)


def effective_schemes(base: list[Scheme], rows: list[SchemeOverride]) -> list[Scheme]:
    """schemes.yaml with the overrides applied; an override that no longer validates (a model change) is
    skipped rather than stopping analysis, and the YAML scheme of that id stays."""
    by_id = {s.id: s for s in base}
    for row in rows:
        try:
            by_id[row.scheme_id] = Scheme.model_validate(row.body)
        except ValueError:
            continue
    return list(by_id.values())


def with_overrides(config: Config, session: Session) -> Config:
    rows = overrides(session)
    if not rows:
        return config
    return config.model_copy(update={"schemes": effective_schemes(config.schemes, rows)})


def save_override(session: Session, *, scheme: Scheme, actor: str, now: datetime) -> SchemeOverride:
    row = session.get(SchemeOverride, scheme.id)
    body = scheme.model_dump(mode="json")
    if row is None:
        row = SchemeOverride(scheme_id=scheme.id, body=body, revision=1, updated_at=now, updated_by=actor)
        session.add(row)
    else:
        row.body = body
        row.revision += 1
        row.updated_at = now
        row.updated_by = actor
    return row
