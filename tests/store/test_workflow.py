"""The workflow store: migrations and UTC round trips on SQLite and on the real PostgreSQL server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import inspect, select, text

from alerting.incidents.models import Incident, TimelineEntry
from store.workflow import make_engine, make_session_factory
from store.workflow.audit import AuditEntry, record_audit
from store.workflow.cursors import read_cursor, write_cursor
from store.workflow.migrate import upgrade
from yuqing.models import metadata


def test_migrations_create_every_table_and_are_idempotent(workflow_url: str) -> None:
    upgrade(workflow_url)
    upgrade(workflow_url)  # a second start changes nothing
    engine = make_engine(workflow_url)
    tables = set(inspect(engine).get_table_names())
    assert set(metadata.tables) <= tables
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0001"
    engine.dispose()


def test_times_round_trip_as_utc(workflow_url: str) -> None:
    upgrade(workflow_url)
    engine = make_engine(workflow_url)
    sessions = make_session_factory(engine)
    beijing = timezone(timedelta(hours=8))
    discovered = datetime(2026, 11, 22, 9, 30, 15, tzinfo=beijing)
    with sessions.begin() as session:
        session.add(
            Incident(
                case_key="k1",
                first_mention_id="s:1",
                title="标题",
                url="http://x",
                source="s",
                unit=None,
                level=3,
                discovered_at=discovered,
                report_due_at=discovered + timedelta(minutes=30),
                opened_at=discovered,
                mention_count=1,
                schemes="",
                explanation="",
            )
        )
    with sessions() as session:
        incident = session.scalars(select(Incident)).one()
        assert incident.discovered_at == discovered and incident.discovered_at.tzinfo is not None
        assert incident.report_due_at.astimezone(UTC) == datetime(2026, 11, 22, 2, 0, 15, tzinfo=UTC)
    with pytest.raises(Exception, match="naive"), sessions.begin() as session:
        session.add(TimelineEntry(incident_id=incident.id, at=datetime(2026, 1, 1), actor="x", action="y"))
    engine.dispose()


def test_case_key_is_unique(workflow_url: str) -> None:
    upgrade(workflow_url)
    engine = make_engine(workflow_url)
    sessions = make_session_factory(engine)
    now = datetime.now(UTC)
    row = dict(
        first_mention_id="s:1",
        title="t",
        url="u",
        source="s",
        unit=None,
        level=3,
        discovered_at=now,
        report_due_at=now,
        opened_at=now,
        mention_count=1,
        schemes="",
        explanation="",
    )
    with sessions.begin() as session:
        session.add(Incident(case_key="same", **row))
    with pytest.raises(Exception, match=r"(?i)unique"), sessions.begin() as session:
        session.add(Incident(case_key="same", **row))
    engine.dispose()


def test_cursors_and_audit(workflow_url: str) -> None:
    upgrade(workflow_url)
    engine = make_engine(workflow_url)
    sessions = make_session_factory(engine)
    with sessions.begin() as session:
        assert read_cursor(session, "c") == 0
        write_cursor(session, "c", 41)
    with sessions.begin() as session:
        write_cursor(session, "c", 42)
        record_audit(session, actor="管理员", action="test", target="x", detail={"中文": True})
    with sessions() as session:
        assert read_cursor(session, "c") == 42
        entry = session.scalars(select(AuditEntry)).one()
        assert entry.actor == "管理员" and "中文" in entry.detail
    engine.dispose()
