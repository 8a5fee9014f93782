"""The workflow store: migrations and UTC round trips on SQLite and on the real PostgreSQL server."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, select, text

from alerting.incidents.models import Incident, TimelineEntry
from store.workflow import make_engine, make_session_factory
from store.workflow.audit import AuditEntry, record_audit
from store.workflow.cursors import read_cursor, write_cursor
from store.workflow.feed import FeedWaker, subscribe, unsubscribe
from store.workflow.migrate import alembic_config, upgrade
from yuqing.models import metadata


def test_migrations_create_every_table_and_are_idempotent(workflow_url: str) -> None:
    upgrade(workflow_url)
    upgrade(workflow_url)  # a second start changes nothing
    engine = make_engine(workflow_url)
    tables = set(inspect(engine).get_table_names())
    assert set(metadata.tables) <= tables
    with engine.connect() as conn:
        head = ScriptDirectory.from_config(alembic_config(workflow_url)).get_current_head()
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == head
    engine.dispose()


def test_upgrade_keeps_existing_incidents(workflow_url: str) -> None:
    """A database from the first release, holding an open incident, upgrades in place."""
    command.upgrade(alembic_config(workflow_url), "0001")
    engine = make_engine(workflow_url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO incidents (case_key, first_mention_id, title, url, source, level, stage, schemes,"
                " explanation, discovered_at, report_due_at, opened_at, mention_count)"
                " VALUES ('k', 's:1', '旧事件', 'http://x', 's', 3, 'analyse', '', '', :t, :t, :t, 1)"
            ),
            {"t": datetime(2026, 1, 1, tzinfo=UTC)},
        )
    upgrade(workflow_url)
    with make_session_factory(engine)() as session:
        incident = session.scalars(select(Incident)).one()
        assert incident.title == "旧事件" and incident.playbook == "major"
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


def test_access_migration_upgrades_a_database_holding_data(workflow_url: str) -> None:
    """0004 (users, sessions, tokens, failed logins, scheme overrides, incident assignee) on a 0003 database
    with an incident and its audit trail: the data stays, the new tables and column work."""
    from analysis.scheme_store import SchemeOverride
    from web.access.models import ApiToken, User

    command.upgrade(alembic_config(workflow_url), "0003")
    engine = make_engine(workflow_url)
    t = datetime(2026, 11, 1, tzinfo=UTC)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO incidents (case_key, first_mention_id, title, url, source, level, stage, schemes,"
                " explanation, discovered_at, report_due_at, opened_at, mention_count, playbook)"
                " VALUES ('k', 's:1', '旧事件', 'http://x', 's', 3, 'analyse', '', '', :t, :t, :t, 1, 'major')"
            ),
            {"t": t},
        )
        conn.execute(
            text(
                "INSERT INTO audit_log (at, actor, action, target, detail)"
                " VALUES (:t, '系统', 'incident.open', 'incident:1', '{}')"
            ),
            {"t": t},
        )
    upgrade(workflow_url)
    sessions = make_session_factory(engine)
    with sessions.begin() as session:
        incident = session.scalars(select(Incident)).one()
        assert incident.title == "旧事件" and incident.assigned_to is None
        incident.assigned_to = "li"
        user = User(name="li", display_name="李", role="secretary", unit="school-no1", password_hash=None, created_at=t)
        session.add(user)
        session.flush()
        session.add(ApiToken(token_hash="0" * 64, prefix="yq_x", user_id=user.id, label="", created_at=t))
        session.add(SchemeOverride(scheme_id="s", body={"id": "s"}, revision=1, updated_at=t, updated_by="x"))
    with sessions() as session:
        assert session.scalars(select(AuditEntry)).one().action == "incident.open"
        assert session.scalars(select(Incident)).one().assigned_to == "li"
        assert session.scalars(select(ApiToken)).one().user_id == session.scalars(select(User)).one().id
    command.downgrade(alembic_config(workflow_url), "0003")  # and back, for a rollback of a release
    assert "users" not in inspect(engine).get_table_names()
    engine.dispose()


def _open_incident(sessions: Any, key: str) -> None:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    with sessions.begin() as session:
        incident = Incident(
            case_key=key,
            first_mention_id="s:1",
            title="食堂",
            url="http://x",
            source="s",
            level=3,
            discovered_at=at,
            report_due_at=at + timedelta(minutes=30),
        )
        session.add(incident)
        session.add(TimelineEntry(incident=incident, at=at, actor="系统", action="opened", detail=""))


def test_a_timeline_commit_wakes_the_feed_of_another_process(workflow_url: str) -> None:
    """A feed waker on one engine hears a commit of timeline entries made through another engine (as by the
    scheduler's process): NOTIFY on PostgreSQL, the file's data version on SQLite. A rolled-back write and a
    write without timeline entries wake no PostgreSQL listener."""
    upgrade(workflow_url)
    reader, writer = make_engine(workflow_url), make_engine(workflow_url)
    woken = threading.Event()
    waker = FeedWaker(reader, woken.set, interval=0.02, in_process=False)  # only the cross-process path
    backend = reader.url.get_backend_name()
    waker.start()
    try:
        time.sleep(0.5)  # listening
        woken.clear()
        sessions = make_session_factory(writer)
        if backend == "postgresql":
            with pytest.raises(RuntimeError), sessions.begin() as session:
                record_audit(session, actor="a", action="x", target="y")
                raise RuntimeError("rolled back")
            assert not woken.wait(1.0)
        _open_incident(sessions, "k1")
        assert woken.wait(5.0)
    finally:
        waker.stop()
        reader.dispose()
        writer.dispose()


def test_a_timeline_commit_signals_this_process(workflow_url: str) -> None:
    upgrade(workflow_url)
    engine = make_engine(workflow_url)
    calls: list[int] = []

    def heard() -> None:
        calls.append(1)

    subscribe(heard)
    try:
        sessions = make_session_factory(engine)
        with sessions.begin() as session:
            record_audit(session, actor="a", action="x", target="y")
        assert calls == []  # no timeline entry, no signal
        _open_incident(sessions, "k2")
        assert calls == [1]  # once per commit, however many entries
    finally:
        unsubscribe(heard)
        engine.dispose()
