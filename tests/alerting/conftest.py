"""Alerting fixtures: a mention store and a migrated workflow database (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from alerting.playbooks import Playbooks, load_playbooks
from analysis.analyser import Analyser
from config import Config, load_config
from store.mentions import Mention, NewMention
from store.mentions.sqlite import SqliteMentionStore
from store.workflow import make_engine, make_session_factory
from store.workflow.migrate import upgrade

REPO = Path(__file__).resolve().parents[2]


@dataclass
class World:
    config: Config
    store: SqliteMentionStore
    sessions: sessionmaker[Session]
    analyser: Analyser
    playbooks: Playbooks

    def post(self, post_id: str, title: str, content: str, *, unit: str | None = "county") -> Mention:
        """Store a post and analyse it, as crawler and analysis job would."""
        self.store.upsert_many(
            [
                NewMention(
                    source="demo-baixing",
                    post_id=post_id,
                    url=f"http://board/t/{post_id}",
                    title=title,
                    content=content,
                    unit=unit,
                )
            ]
        )
        analysis = self.analyser.analyse(title=title, content=content, default_unit=unit)
        mention_id = f"demo-baixing:{post_id}"
        self.store.save_analysis([(mention_id, analysis)])
        mention = self.store.get(mention_id)
        assert mention is not None
        return mention


@pytest.fixture
def world(tmp_path: Path, workflow_url: str) -> Iterator[World]:
    config = load_config(REPO / "config" / "example")
    upgrade(workflow_url)
    engine = make_engine(workflow_url)
    store = SqliteMentionStore(tmp_path / "mentions.sqlite3")
    yield World(config, store, make_session_factory(engine), Analyser(config), load_playbooks())
    store.close()
    engine.dispose()


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)
