"""Named high-water marks, so a stage can follow the one before it across restarts without callbacks."""

from __future__ import annotations

from sqlalchemy import BigInteger, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from store.workflow.db import Base


class Cursor(Base):
    __tablename__ = "cursors"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)


def read_cursor(session: Session, name: str) -> int:
    value = session.scalar(select(Cursor.value).where(Cursor.name == name))
    return int(value or 0)


def write_cursor(session: Session, name: str, value: int) -> None:
    """Set inside the caller's transaction, so the mark moves only with the work it covers."""
    row = session.get(Cursor, name)
    if row is None:
        session.add(Cursor(name=name, value=value))
    else:
        row.value = value
