"""The incident list's filters and the incident page's fields, against incidents written by the ORM.

The list and the page read with prebuilt Core statements (one per combination of filters, values bound): every
filter, alone and combined, must pick exactly the incidents a plain reading of the rows picks, in the list's
order, and the page must show the same fields as the list."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from alerting.incidents.models import Incident, IncidentMention, Stage, TimelineEntry

NOW = datetime.now(UTC).replace(microsecond=0)
UNITS = ["county", "county-edu", "school-no1", None]
STAGES = [Stage.ANALYSE.value, Stage.REPORT.value, Stage.HANDLE.value, Stage.CLOSED.value]


def _incidents() -> list[dict[str, Any]]:
    rows = []
    for n in range(12):
        discovered = NOW - timedelta(hours=n * 5)
        rows.append(
            {
                "case_key": f"case-{n}",
                "first_mention_id": f"demo-baixing:{n}",
                "title": f"事件{n}",
                "url": f"http://board/t/{n}",
                "source": "demo-baixing",
                "unit": UNITS[n % 4],
                "level": 1 + n % 4,
                "stage": STAGES[n % 4],
                "schemes": "school-bullying,food-safety" if n % 2 else "",
                "explanation": f"第一行{n}\n\n第二行",
                "discovered_at": discovered,
                # Two share a deadline: the id breaks the tie.
                "report_due_at": discovered + timedelta(minutes=30 if n != 3 else 5 * 60 + 30),
                "opened_at": discovered,
                "breached_at": discovered + timedelta(minutes=30) if n % 3 == 0 else None,
                "acknowledged_at": discovered + timedelta(minutes=3) if n % 2 else None,
                "closed_at": discovered + timedelta(hours=1) if STAGES[n % 4] == Stage.CLOSED.value else None,
                "mention_count": 1 + n,
                "assigned_to": ["li", "ghost", None][n % 3],
            }
        )
    return rows


@pytest.fixture
def world(app_world: Any, grant: Any) -> dict[str, Any]:
    w = app_world()
    with w.sessions.begin() as session:
        for row in _incidents():
            incident = Incident(**row)
            session.add(incident)
            session.flush()
            for m in range(2):
                session.add(IncidentMention(incident=incident, mention_id=f"demo-baixing:{row['title']}:{m}"))
            session.add(TimelineEntry(incident=incident, at=row["discovered_at"], actor="系统", action="opened"))
    app = w.app()
    client = grant(app, "admin", "admin", display_name="管理员")
    grant(app, "li", "commentator", unit="county", display_name="李四")
    with w.sessions() as session:
        stored = [
            {column: getattr(i, column) for column in ("id", "unit", "level", "stage", "assigned_to")}
            | {"discovered": i.discovered_at, "due": i.report_due_at, "breached": i.breached_at is not None}
            for i in session.query(Incident)
        ]
    return {"client": client, "stored": stored}


def _expected(stored: list[dict[str, Any]], params: dict[str, Any]) -> list[int]:
    picked = [
        i
        for i in stored
        if (not params.get("open_only") or i["stage"] != Stage.CLOSED.value)
        and ("unit" not in params or i["unit"] == params["unit"])
        and ("stage" not in params or i["stage"] == params["stage"])
        and ("min_level" not in params or i["level"] >= params["min_level"])
        and ("assigned_to" not in params or i["assigned_to"] == params["assigned_to"])
        and ("since" not in params or i["discovered"] >= datetime.fromisoformat(params["since"]))
        and ("until" not in params or i["discovered"] < datetime.fromisoformat(params["until"]))
        and ("breached" not in params or i["breached"] == params["breached"])
    ]
    if params.get("open_only"):
        picked.sort(key=lambda i: (i["due"], i["id"]))
    else:
        picked.sort(key=lambda i: (i["due"], i["id"]), reverse=True)
    return [i["id"] for i in picked][: params.get("limit", 100)]


SINCE = (NOW - timedelta(hours=22)).isoformat()
UNTIL = (NOW - timedelta(hours=7)).isoformat()


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"open_only": True},
        {"unit": "school-no1"},
        {"stage": "report"},
        {"min_level": 3},
        {"assigned_to": "li"},
        {"since": SINCE},
        {"until": UNTIL},
        {"since": SINCE, "until": UNTIL},
        {"breached": True},
        {"breached": False},
        {"limit": 3},
        {"open_only": True, "limit": 2},
        {"open_only": True, "min_level": 2, "breached": False},
        {"unit": "county", "stage": "analyse", "assigned_to": "li", "min_level": 1},
    ],
)
def test_each_filter_picks_what_the_rows_say(world: dict[str, Any], params: dict[str, Any]) -> None:
    client: TestClient = world["client"]
    answer = client.get("/api/v1/incidents", params=params)
    assert answer.status_code == 200, answer.text
    assert [i["id"] for i in answer.json()] == _expected(world["stored"], params)


def test_a_scoped_user_sees_only_their_units(world: dict[str, Any], grant: Any) -> None:
    client: TestClient = world["client"]
    school = grant(client.app, "wang", "commentator", unit="school-no1")
    ids = [i["id"] for i in school.get("/api/v1/incidents").json()]
    assert ids == [
        i
        for i in _expected(world["stored"], {})
        if next(s for s in world["stored"] if s["id"] == i)["unit"] == "school-no1"
    ]
    assert ids  # the scope is not simply empty
    hidden = next(s["id"] for s in world["stored"] if s["unit"] != "school-no1")
    assert school.get(f"/api/v1/incidents/{hidden}").status_code == 404


def test_the_page_shows_the_lists_fields_and_its_own(world: dict[str, Any]) -> None:
    client: TestClient = world["client"]
    listed = client.get("/api/v1/incidents", params={"limit": 500}).json()
    assert len(listed) == 12
    for item in listed:
        page = client.get(f"/api/v1/incidents/{item['id']}").json()
        # seconds_to_deadline moves with the clock between the two requests
        assert {k: v for k, v in page.items() if k in item and k != "seconds_to_deadline"} == {
            k: v for k, v in item.items() if k != "seconds_to_deadline"
        }
        assert abs(page["seconds_to_deadline"] - item["seconds_to_deadline"]) < 60
        n = int(item["title"].removeprefix("事件"))
        assert page["explanation"] == [f"第一行{n}", "第二行"]
        assert page["mention_ids"] == [f"demo-baixing:事件{n}:0", f"demo-baixing:事件{n}:1"]
        assert [t["action"] for t in page["timeline"]] == ["opened"]
        assert page["playbook"] == "major"
        # The assignee by display name; an assignee with no account by login name; none: null.
        assert item["assigned_name"] == {"li": "李四", "ghost": "ghost", None: None}[item["assigned_to"]]
        assert item["unit_name"] is None if item["unit"] is None else item["unit_name"] != item["unit"]
        assert item["schemes"] == (["school-bullying", "food-safety"] if n % 2 else [])


def test_the_list_is_what_its_models_would_dump(world: dict[str, Any]) -> None:
    """The list is written without validating the rows as IncidentOut: its bytes must be what validating and
    dumping them gives (every field, in the model's order, datetimes and numbers written alike)."""
    from pydantic import TypeAdapter

    from alerting.incidents.schemas import IncidentOut

    client: TestClient = world["client"]
    answer = client.get("/api/v1/incidents", params={"limit": 500})
    assert answer.headers["content-type"] == "application/json"
    listed = answer.json()
    assert len(listed) == 12
    assert {i["assigned_name"] for i in listed} == {"李四", "ghost", None}  # the optional field, in all its forms
    assert any(i["acknowledged_at"] for i in listed) and any(i["acknowledged_at"] is None for i in listed)
    models = TypeAdapter(list[IncidentOut])
    assert answer.content == models.dump_json(models.validate_python(listed))
    assert all(list(item) == list(IncidentOut.model_fields) for item in listed)
