"""Events and hot topics over the API, from mentions analysed by the real job (events in the workflow DB)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from analysis.analyser import Analyser
from analysis.job import analyse_pending
from config import load_config
from config.models import SpikeSettings
from store.mentions import NewMention

REPO = Path(__file__).resolve().parents[2]
STORY = "城关一中初二学生被多名同学围殴，头部受伤住院，学校一直推诿，希望教育局管管。"
POSTS = [
    ("demo-baixing", "1", "城关一中学生被殴打", STORY),
    ("demo-tousu", "2", "转：城关一中学生被殴打", "转发：" + STORY.replace("，", ",") + "求扩散"),
    ("demo-tousu", "3", "路灯修好了", "上周反映的路灯不亮问题，镇政府第二天就派人修好了，点赞。"),
]


@pytest.fixture
def client(app_world: Any, grant: Any) -> TestClient:
    config = load_config(REPO / "config" / "example")
    config = config.model_copy(
        update={"analysis": config.analysis.model_copy(update={"spikes": SpikeSettings(min_count=2)})}
    )
    world = app_world(config)
    world.add_posts(
        [NewMention(source=s, post_id=p, url=f"http://board/{s}/{p}", title=t, content=c) for s, p, t, c in POSTS],
        analyse=False,
    )
    analyse_pending(world.store, Analyser(config), sessions=world.sessions)
    client: TestClient = grant(world.app(), "ana", "analyst")
    return client


def test_events_list_and_detail(client: TestClient) -> None:
    events = client.get("/api/v1/events").json()
    assert [(e["id"], e["copies"], sorted(e["sources"])) for e in events] == [
        ("demo-baixing:1", 2, ["demo-baixing", "demo-tousu"])
    ]
    detail = client.get("/api/v1/events/demo-baixing:1").json()
    assert [m["id"] for m in detail["mentions"]] == ["demo-baixing:1", "demo-tousu:2"]
    assert all(m["event_id"] == "demo-baixing:1" for m in detail["mentions"])
    assert len(client.get("/api/v1/events", params={"min_copies": 1}).json()) == 2
    assert client.get("/api/v1/events/nope").status_code == 404
    assert client.get("/api/v1/events", params={"hours": 0}).status_code == 422


def test_hot_topics(client: TestClient) -> None:
    topics = client.get("/api/v1/hot-topics").json()
    assert ("scheme", "school-bullying", 2) in [(t["kind"], t["key"], t["count"]) for t in topics]
    assert all(t["description"] for t in topics)


def test_hot_topics_count_only_what_the_user_can_see(client: TestClient, grant: Any) -> None:
    def counts(user: TestClient) -> dict[tuple[str, str], int]:
        return {(t["kind"], t["key"]): t["count"] for t in user.get("/api/v1/hot-topics").json()}

    bureau = grant(client.app, "edu", "secretary", "county-edu")
    town = grant(client.app, "zhen", "commentator", "town-chengguan")
    assert counts(bureau)[("scheme", "school-bullying")] == 2  # both posts are its school's
    assert ("scheme", "school-bullying") not in counts(town)  # none of them is the town's
    assert all(t["key"] != "school-no1" for t in town.get("/api/v1/hot-topics").json())


def test_events_are_scoped_to_the_users_units(client: TestClient, grant: Any) -> None:
    school = grant(client.app, "li", "secretary", "school-no1")
    town = grant(client.app, "zhen", "commentator", "town-chengguan")
    assert [e["id"] for e in school.get("/api/v1/events").json()] == ["demo-baixing:1"]
    assert town.get("/api/v1/events").json() == []
    assert town.get("/api/v1/events/demo-baixing:1").status_code == 404
    assert school.get("/api/v1/events/demo-baixing:1").status_code == 200
