"""A page of search hits, and a mention's page, is written as JSON from plain values, without validating its
model: its bytes must be what validating and dumping the model gives, for every kind of hit (analysed and flagged
with highlights, awaiting analysis, with and without the board's official reply) and the aggregations."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient

from api.schemas import MentionOut, SearchHitOut, SearchOut
from store.mentions import NewMention, OfficialReply

POSTS = [
    ("1", "城关第一中学学生被殴打住院", "城关一中初二学生被多名同学围殴，头部受伤住院。"),
    ("2", "学校乱收费资料费", "城关镇中心小学班主任强制收取资料费。学生家长反映。"),
    ("3", "学生被打", "城关一中学生被殴打受伤住院"),
    ("4", "感谢镇政府修好路灯", "工作人员认真负责，学生点赞。"),
]


def test_the_page_is_what_its_model_would_dump(app_world: Any, grant: Any) -> None:
    world = app_world()
    world.add_posts(
        NewMention("demo-baixing", p, f"http://board/t/{p}", t, c, unit="county", reply_count=int(p))
        for p, t, c in POSTS
    )
    reply = OfficialReply("已责令学校退费。", "县教育局", datetime(2026, 3, 6, 6, 5, 0, 250, tzinfo=UTC))
    world.store.upsert_many(  # edited, so awaiting analysis again, with the board's answer
        [
            NewMention(
                "demo-baixing", "2", "http://board/t/2", POSTS[1][1], POSTS[1][2] + "已处理。", official_reply=reply
            )
        ]
    )
    client: TestClient = grant(world.app(), "admin", "admin")
    pages = 0
    for params in ({"q": "学生", "histogram": "day"}, {"q": "殴打 OR 路灯", "sort": "relevance"}, {"size": 2}):
        answer = client.get("/api/v1/mentions", params=params)
        assert answer.status_code == 200 and answer.headers["content-type"] == "application/json"
        body = answer.json()
        assert answer.content == SearchOut.model_validate(body).model_dump_json().encode()
        assert all(list(hit) == list(SearchHitOut.model_fields) for hit in body["hits"])  # the model's order
        pages += bool(body["hits"])
    hits = {h["id"]: h for h in client.get("/api/v1/mentions", params={"q": "学生"}).json()["hits"]}
    assert hits["demo-baixing:2"]["official_reply"] == {
        "text": "已责令学校退费。",
        "unit": "县教育局",
        "replied_at": "2026-03-06T06:05:00.000250Z",
    }
    assert hits["demo-baixing:2"]["level"] is None and hits["demo-baixing:1"]["flags"]  # both kinds compared
    assert any(h["highlights"] for h in hits.values()) and pages == 3
    for mention_id in hits:  # a mention's page is written the same way
        answer = client.get(f"/api/v1/mentions/{mention_id}")
        assert answer.status_code == 200 and answer.headers["content-type"] == "application/json"
        assert answer.content == MentionOut.model_validate(answer.json()).model_dump_json().encode()
        assert list(answer.json()) == list(MentionOut.model_fields)
