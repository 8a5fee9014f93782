"""Workflow state (incidents, timeline, deliveries, audit, crawl state) in SQLAlchemy: SQLite or PostgreSQL."""

from store.workflow.db import Base, make_engine, make_session_factory, utcnow

__all__ = ["Base", "make_engine", "make_session_factory", "utcnow"]
