"""The search reads its query parameters in one validation per group (api/query_params.py); FastAPI reading the
declared signature must give the same answer to every request, good or bad: the same status and the same bytes
(values, errors with their type, loc, msg, input and ctx, in the same order, the Chinese message)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.datastructures import QueryParams as RawQuery

from api import errors
from api.query_params import QueryParams
from api.routes.mentions import search_filters, search_mentions
from api.schemas import SearchOut
from store.mentions import NewMention

POSTS = [
    ("1", "城关第一中学学生被殴打住院", "城关一中初二学生被多名同学围殴，头部受伤住院。"),
    ("2", "学校乱收费资料费", "城关镇中心小学班主任强制收取资料费。学生家长反映。"),
    ("3", "感谢镇政府修好路灯", "工作人员认真负责，学生点赞。"),
]
REQUESTS: list[Any] = [
    {},
    {"q": "学生"},
    {"q": "学生", "histogram": "day", "size": 2, "sort": "heat"},
    {"q": "殴打 OR 路灯", "sort": "relevance", "sentiment": ["negative", "neutral"]},
    [("q", "路灯"), ("q", "学生")],  # a single value repeated: the last one
    {"q": ""},
    {"source": ["demo-baixing", "nowhere"], "post_type": "投诉", "min_level": 0},
    {"since": "2026-01-01T00:00:00+08:00", "until": "2099-01-01T00:00:00Z"},
    {"size": 0},
    {"size": "abc", "cursor": "x" * 2001},
    {"sort": "x", "histogram": "week"},
    {"sentiment": ["negative", "angry"], "min_level": 9, "since": "yesterday", "size": 0},  # both groups' errors
    {"q": '"(NOT', "size": 0},  # the filters' refusal comes before the page's errors
    {"q": "NOT 打人"},
    {"unit": "x" * 101},
    {"unit": ["a"] * 51},
    {"post_type": "坏", "event": "x" * 301},
    {"min_level": ""},
    {"since": "2026-01-01T00:00:00"},
    {"since": "2026-02-01T00:00:00+08:00", "until": "2026-01-01T00:00:00+08:00"},
    {"cursor": "not-a-cursor"},
]


def declared_app(state: Any) -> FastAPI:
    """An app whose search is answered by its declaration (FastAPI reading every parameter itself)."""
    app = FastAPI()
    app.state.yuqing = state
    errors.install(app)
    app.add_api_route("/api/v1/mentions", search_mentions, response_model=SearchOut)
    return app


@pytest.fixture
def clients(app_world: Any, grant: Any) -> tuple[TestClient, TestClient, TestClient, TestClient]:
    world = app_world()
    world.add_posts(NewMention("demo-baixing", p, f"http://board/t/{p}", t, c, unit="county") for p, t, c in POSTS)
    app: FastAPI = world.app()
    fast: TestClient = grant(app, "admin", "admin")
    declared_client = TestClient(declared_app(app.state.yuqing), headers=fast.headers)
    bound: TestClient = grant(app, "bound", "analyst", "county")
    bound_declared = TestClient(declared_app(app.state.yuqing), headers=bound.headers)
    return fast, declared_client, bound, bound_declared


@pytest.mark.parametrize("params", REQUESTS)
def test_the_same_answer_as_fastapi_reading_the_declaration(clients: Any, params: Any) -> None:
    fast, declared, _, _ = clients
    answer, expected = fast.get("/api/v1/mentions", params=params), declared.get("/api/v1/mentions", params=params)
    assert (answer.status_code, answer.content) == (expected.status_code, expected.content)
    assert answer.headers["content-type"] == expected.headers["content-type"]


def test_both_apps_answer(clients: Any) -> None:
    fast, declared, _, _ = clients
    assert fast.get("/api/v1/mentions", params={"size": 0}).json()["detail"][0]["loc"] == ["query", "size"]
    assert declared.get("/api/v1/mentions", params={"q": "学生"}).json()["total"] == 3


@pytest.mark.parametrize(
    "params", [{"unit": "nowhere"}, {"unit": "nowhere", "size": 0}, {"unit": "x" * 101, "size": 0}, {}]
)
def test_scope_refusals_and_credentials_in_the_same_order(clients: Any, params: dict[str, Any]) -> None:
    fast, declared, bound, bound_declared = clients
    answer, expected = (
        bound.get("/api/v1/mentions", params=params),
        bound_declared.get("/api/v1/mentions", params=params),
    )
    assert (answer.status_code, answer.content) == (expected.status_code, expected.content)
    anonymous = {"size": 0, **params}  # no credentials: 401 before any parameter is read
    answer = TestClient(fast.app).get("/api/v1/mentions", params=anonymous)
    expected = TestClient(declared.app).get("/api/v1/mentions", params=anonymous)
    assert answer.status_code == 401 and (answer.status_code, answer.content) == (
        expected.status_code,
        expected.content,
    )


def test_reading_a_query_string() -> None:
    filters, page = QueryParams(search_filters), QueryParams(search_mentions)
    assert filters.names[:3] == ("q", "source", "unit") and "principal" not in filters.names
    assert page.names == ("size", "cursor", "sort", "histogram")
    values, errors = filters.parse(RawQuery("source=a&source=b&q=x&q=y&sentiment="))
    assert values == {} and [e["loc"] for e in errors] == [("query", "sentiment", 0)]
    values, errors = filters.parse(RawQuery("source=a&source=b&q=x&q=y"))
    assert not errors and values["source"] == ["a", "b"] and values["q"] == "y" and values["unit"] is None
    assert page.parse(RawQuery("")) == ({"size": 20, "cursor": None, "sort": "time", "histogram": None}, [])
