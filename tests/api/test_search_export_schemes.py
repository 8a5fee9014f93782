"""Search with highlights and syntax errors that say where, aggregations, CSV/Excel export of hostile text,
schemes (list, validate, create, edit, backtest) and incident list filters, over the real stores."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from config import Settings
from store.mentions import CountUpdate, NewMention
from yuqing.services import Services

REPO = Path(__file__).resolve().parents[2]
POSTS = [
    ("1", "城关第一中学学生被殴打住院", "城关一中初二学生被多名同学围殴，头部受伤住院。"),
    ("2", '=HYPERLINK("http://evil","点我")', "@SUM(1) 城关镇中心小学班主任强制收取资料费，殴打"),
    ("3", "城关一中食堂饭菜变质", "好几个学生吃完呕吐腹泻，学校一直不回应"),
    ("4", "感谢镇政府修好路灯", "工作人员认真负责，点赞。"),
]


@pytest.fixture
def app(app_world: Any) -> FastAPI:
    world = app_world()
    world.add_posts(NewMention("demo-baixing", p, f"http://b/{p}", t, c, unit="county") for p, t, c in POSTS)
    world.run_rules("demo-baixing:1")
    app: FastAPI = world.app()
    return app


@pytest.fixture
def admin(app: FastAPI, grant: Any) -> TestClient:
    return grant(app, "root", "admin")


@pytest.mark.parametrize(
    ("q", "position"),
    [("(殴打 学生", 0), ("殴打 )", 3), ('学生 "殴打', 3), ("（殴打", 0)],
)
def test_query_syntax_errors_say_where(admin: TestClient, q: str, position: int) -> None:
    response = admin.get("/api/v1/mentions", params={"q": q})
    assert response.status_code == 422
    [detail] = response.json()["detail"]
    assert detail["loc"] == ["query", "q"] and detail["position"] == position
    assert f"第 {position + 1} 个字符" in detail["zh"]


@pytest.mark.parametrize(
    ("q", "ids"),
    [
        ("食堂 OR 路灯", {"3", "4"}),
        ("(食堂 | 路灯) NOT 点赞", {"3"}),
        ("殴打 AND NOT 住院", {"2"}),
        ("殴打 -住院 OR 路灯", {"2", "4"}),
    ],
)
def test_search_with_or_not_and_parentheses(admin: TestClient, q: str, ids: set[str]) -> None:
    body = admin.get("/api/v1/mentions", params={"q": q}).json()
    assert {h["id"].split(":")[1] for h in body["hits"]} == ids and body["total"] == len(ids)
    for hit in body["hits"]:  # highlights mark the words found, never the excluded ones
        assert all(hit[s["field"]][s["start"] : s["end"]] not in {"住院", "点赞"} for s in hit["highlights"])


@pytest.mark.parametrize("q", ["NOT 住院", "食堂 OR NOT 住院"])
def test_a_query_that_only_subtracts_is_a_clear_422(admin: TestClient, q: str) -> None:
    response = admin.get("/api/v1/mentions", params={"q": q})
    assert response.status_code == 422
    [detail] = response.json()["detail"]
    assert detail["loc"] == ["query", "q"] and detail["type"] == "query_unsupported" and "NOT" in detail["zh"]


def test_search_highlights_the_query_words(admin: TestClient) -> None:
    body = admin.get("/api/v1/mentions", params={"q": '殴打 "城关"', "sort": "relevance"}).json()
    assert {h["id"] for h in body["hits"]} == {"demo-baixing:1", "demo-baixing:2"}
    for hit in body["hits"]:
        assert hit["highlights"]
        for span in hit["highlights"]:
            assert hit[span["field"]][span["start"] : span["end"]] in {"殴打", "城关"}


def test_aggregations(admin: TestClient) -> None:
    body = admin.get("/api/v1/mentions/aggregations", params={"interval": "hour"}).json()
    assert body["total"] == 4 and sum(b["count"] for b in body["volume"]) == 4
    assert sum(b["count"] for b in body["sentiment"]) == 4
    assert body["sources"] == [{"key": "demo-baixing", "count": 4}]
    assert {b["key"] for b in body["schemes"]} >= {"school-bullying", "school-food-safety"}
    assert {b["key"] for b in body["levels"]} >= {"3"}
    assert body["terms_sample"] == 4 and any(b["key"] == "学生" for b in body["terms"])
    assert admin.get("/api/v1/mentions/aggregations", params={"interval": "week"}).status_code == 422


def test_every_post_has_its_type_and_search_filters_by_it(admin: TestClient) -> None:
    from typing import get_args

    from analysis.grader import TYPES
    from api.routes.mentions import PostType

    assert get_args(PostType) == TYPES  # the filter offers exactly the analysis' types
    hits = admin.get("/api/v1/mentions").json()["hits"]
    types = {h["id"]: h["post_type"] for h in hits}
    assert len(types) == 4 and set(types.values()) <= set(TYPES)
    assert types["demo-baixing:4"] == "表扬"  # the thanks for the street lamps
    assert admin.get("/api/v1/mentions/demo-baixing:4").json()["post_type"] == "表扬"
    praise = admin.get("/api/v1/mentions", params={"post_type": "表扬"}).json()
    assert [h["id"] for h in praise["hits"]] == ["demo-baixing:4"] and praise["total"] == 1
    others = admin.get("/api/v1/mentions", params=[("post_type", "投诉"), ("post_type", "举报")]).json()
    assert {h["id"] for h in others["hits"]} == {i for i, t in types.items() if t in ("投诉", "举报")}
    assert "demo-baixing:4" not in {h["id"] for h in others["hits"]}
    with_words = admin.get("/api/v1/mentions", params={"post_type": "表扬", "q": "殴打"}).json()
    assert with_words["total"] == 0
    assert {b["key"]: b["count"] for b in praise["aggregations"]["post_types"]} == {"表扬": 1}
    aggs = admin.get("/api/v1/mentions/aggregations").json()
    assert sum(b["count"] for b in aggs["post_types"]) == 4
    refused = admin.get("/api/v1/mentions", params={"post_type": "complaint"})
    assert refused.status_code == 422


def test_exports_have_the_post_type_as_a_chinese_column(admin: TestClient) -> None:
    rows = list(csv.reader(io.StringIO(admin.get("/api/v1/mentions/export").content.decode("utf-8-sig"))))
    column = rows[0].index("类型")
    assert rows[0][column - 1] == "级别"
    assert {r[0]: r[column] for r in rows[1:]}["4"] == "表扬"
    only = admin.get("/api/v1/mentions/export", params={"post_type": "表扬", "format": "xlsx"})
    sheet = load_workbook(io.BytesIO(only.content)).active
    assert sheet is not None
    got = [[c.value for c in row] for row in sheet.iter_rows()]
    assert len(got) == 2 and got[1][0] == "4" and got[1][got[0].index("类型")] == "表扬"


def test_csv_export_is_excel_ready_and_defuses_formulas(admin: TestClient) -> None:
    response = admin.get("/api/v1/mentions/export", params={"format": "csv"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    raw = response.content
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:4] == ["编号", "来源", "链接", "标题"] and len(rows) == 5
    # 编号 is the board's own number, 来源 the source's name: no configuration id in the sheet.
    hostile = next(r for r in rows if r[0] == "2" and r[1] == "百姓呼声（示例）")
    assert hostile[3].startswith("'=HYPERLINK") and hostile[4].startswith("'@SUM")
    assert not any("demo-" in cell for row in rows for cell in row)
    only = admin.get("/api/v1/mentions/export", params={"q": "殴打", "max_rows": 1}).content
    assert len(list(csv.reader(io.StringIO(only.decode("utf-8-sig"))))) == 2


def test_xlsx_export(admin: TestClient) -> None:
    response = admin.get("/api/v1/mentions/export", params={"format": "xlsx", "min_level": 3})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0][0] == "编号" and len(rows) == 4
    assert {r[11] for r in rows[1:]} == {"重大"}
    hostile = next(r for r in rows if r[0] == "2" and r[1] == "百姓呼声（示例）")
    assert isinstance(hostile[3], str) and hostile[3].startswith("'=HYPERLINK")  # text, never a formula
    assert admin.get("/api/v1/mentions/export", params={"format": "pdf"}).status_code == 422


def test_xlsx_export_is_formatted(admin: TestClient) -> None:
    import datetime as dt

    response = admin.get("/api/v1/mentions/export", params={"format": "xlsx"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    assert sheet.freeze_panes == "A2"  # the header row stays in view
    header = sheet[1]
    assert all(c.font.bold for c in header) and header[0].fill.fgColor.rgb.endswith("B71C1C")
    widths = {k: d.width for k, d in sheet.column_dimensions.items()}
    assert widths["E"] >= 50 and widths["D"] >= 30 and widths["O"] <= 10  # content wide, counts narrow
    found = sheet.cell(row=2, column=8)  # 发现时间
    assert isinstance(found.value, dt.datetime) and found.number_format == "yyyy-mm-dd hh:mm:ss"
    csv_rows = list(csv.reader(io.StringIO(admin.get("/api/v1/mentions/export").content.decode("utf-8-sig"))))
    assert len(csv_rows[1][7]) == 19 and csv_rows[1][7][4] == "-"  # the CSV keeps its text times


SCHEME = {"id": "lamp", "name": "路灯", "subject": ["路灯"], "event": ["修好", "不亮"], "severity": "一般"}


def test_schemes_list_validate_create_edit(app: FastAPI, admin: TestClient, grant: Any) -> None:
    listed = admin.get("/api/v1/schemes").json()
    assert {s["id"] for s in listed} >= {"school-bullying"} and {s["origin"] for s in listed} == {"yaml"}
    good = admin.post("/api/v1/schemes/validate", json=SCHEME).json()
    assert good == {"valid": True, "errors": []}
    bad = admin.post(
        "/api/v1/schemes/validate", json={**SCHEME, "id": "Bad Id", "severity": "超大", "query": "(路灯"}
    ).json()
    fields = {e["field"]: e["message"] for e in bad["errors"]}
    assert not bad["valid"] and {"id", "severity", "query"} <= set(fields)
    assert "左括号没有闭合（第 1 个字符处）" in fields["query"]
    assert admin.post("/api/v1/schemes", json={**SCHEME, "proximity": 1}).status_code == 422
    created = admin.post("/api/v1/schemes", json=SCHEME)
    assert created.status_code == 201 and created.json()["origin"] == "api" and created.json()["revision"] == 1
    assert admin.post("/api/v1/schemes", json=SCHEME).status_code == 409
    edited = admin.put("/api/v1/schemes/lamp", json={**SCHEME, "severity": "较大"}).json()
    assert edited["revision"] == 2 and edited["severity_name"] == "较大"
    yaml_edit = admin.put("/api/v1/schemes/school-bullying", json={**SCHEME, "id": "school-bullying", "enabled": False})
    assert yaml_edit.status_code == 200 and yaml_edit.json()["origin"] == "api"
    assert admin.put("/api/v1/schemes/lamp", json={**SCHEME, "id": "other"}).status_code == 422
    assert admin.put("/api/v1/schemes/nope", json={**SCHEME, "id": "nope"}).status_code == 404
    analyst = grant(app, "ana", "analyst")
    assert analyst.get("/api/v1/schemes").status_code == 200
    assert analyst.post("/api/v1/schemes", json={**SCHEME, "id": "x"}).status_code == 403
    assert grant(app, "li", "commentator", "school-no1").get("/api/v1/schemes").status_code == 403
    audit = admin.get("/api/v1/audit", params={"action": "scheme."}).json()
    assert [e["action"] for e in audit] == ["scheme.edit", "scheme.edit", "scheme.create"]


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({**SCHEME, "subject": [f"词{i}" for i in range(1001)]}, "subject", "词语过多"),
        ({**SCHEME, "event": ["长" * 51]}, "event", "词语过长"),
        ({**SCHEME, "query": "路灯 " * 2000}, "query", "检索式过长"),
        ({**SCHEME, "name": "名" * 101}, "name", "方案名称过长"),
    ],
)
def test_scheme_word_limits_are_a_clear_422(admin: TestClient, body: dict[str, Any], field: str, words: str) -> None:
    for path in ("/api/v1/schemes", "/api/v1/schemes/validate", "/api/v1/schemes/backtest"):
        sent = {"scheme": body} if path.endswith("backtest") else body
        response = admin.post(path, json=sent)
        if path.endswith("validate"):
            errors = response.json()["errors"]
            assert any(e["field"] == field and words in e["message"] for e in errors), errors
        else:
            assert response.status_code == 422 and words in response.text, (path, response.text[:300])


def test_a_huge_scheme_body_is_refused_before_it_is_parsed(admin: TestClient) -> None:
    huge = json.dumps({**SCHEME, "subject": ["词"] * 300_000}).encode()
    declared = admin.post("/api/v1/schemes/validate", content=huge, headers={"Content-Type": "application/json"})
    assert declared.status_code == 422 and "请求内容过大" in declared.json()["detail"][0]["msg"]

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it streams
        for start in range(0, len(huge), 65536):
            yield huge[start : start + 65536]

    streamed = admin.post("/api/v1/schemes", content=chunks(), headers={"Content-Type": "application/json"})
    assert streamed.status_code == 422 and "请求内容过大" in streamed.text
    assert admin.post("/api/v1/schemes/validate", json=SCHEME).json()["valid"] is True  # a normal one still passes


def test_backtest_shows_what_a_scheme_would_flag(admin: TestClient) -> None:
    draft = admin.post("/api/v1/schemes/backtest", json={"scheme": SCHEME, "days": 1}).json()
    assert (draft["scanned"], draft["matched"], draft["newly_flagged"], draft["flagged_now"]) == (4, 1, 1, 0)
    assert draft["matches"][0]["mention_id"] == "demo-baixing:4" and set(draft["matches"][0]["words"]) == {
        "路灯",
        "修好",
    }
    # An existing scheme narrowed by an exclusion word: what it would stop flagging.
    narrowed = {
        "id": "school-bullying",
        "name": "校园欺凌",
        "subject": ["学生"],
        "event": ["殴打"],
        "exclude": ["资料费"],
    }
    result = admin.post("/api/v1/schemes/backtest", json={"scheme": narrowed}).json()
    assert result["matched"] == 1 and result["flagged_now"] == 2 and result["no_longer_flagged"] == 1
    stored = admin.post("/api/v1/schemes/backtest", json={"scheme_id": "school-food-safety"}).json()
    assert stored["matched"] == stored["flagged_now"] == 1
    assert admin.post("/api/v1/schemes/backtest", json={}).status_code == 422
    assert admin.post("/api/v1/schemes/backtest", json={"scheme_id": "nope"}).status_code == 404
    assert admin.post("/api/v1/schemes/backtest", json={"scheme_id": "lamp", "days": 0}).status_code == 422
    assert admin.post("/api/v1/schemes/backtest", json={"scheme": {"id": "x"}}).status_code == 422


def test_evaluate_schemes_on_graded_posts(admin: TestClient, app: FastAPI, grant: Any) -> None:
    def graded(post_id: str, level: int, topics: list[str], text: str) -> str:
        return json.dumps({"id": post_id, "level": level, "topics": topics, "text": text}, ensure_ascii=False)

    labels = "\n".join(
        [
            graded("a", 2, ["劳资欠薪"], "工地不发工资。三个月没拿到钱"),
            graded("b", 2, ["劳资欠薪"], "包工头跑路了。工钱一分没有"),
            graded("c", 0, ["其他"], "请问社保怎么转。谢谢"),
        ]
    )
    report = admin.post("/api/v1/schemes/evaluate", json={"labels": labels}).json()
    wages = next(s for s in report["schemes"] if s["id"] == "unpaid-wages")
    assert (wages["true_positive"], wages["false_negative"], wages["recall"]) == (1, 1, 0.5)
    assert [m["id"] for m in wages["misses"]] == ["b"] and wages["topics"] == ["劳资欠薪"]
    assert report["levels"][1]["name"] == "≥较大" and report["levels"][1]["true_positive"] == 1
    draft = {"id": "wages2", "name": "工钱", "event": ["工钱"], "topics": ["劳资欠薪"]}
    only = admin.post("/api/v1/schemes/evaluate", json={"labels": labels, "scheme": draft}).json()
    assert [s["id"] for s in only["schemes"]] == ["wages2"] and only["schemes"][0]["recall"] == 0.5
    bad = admin.post("/api/v1/schemes/evaluate", json={"labels": labels + "\n" + graded("d", 7, [], "x。y")})
    assert bad.status_code == 422
    [error] = bad.json()["detail"]
    assert (error["loc"], error["line"], error["field"]) == (["body", "labels"], 4, "level")
    assert error["msg"].startswith("第 4 行，字段 level：")
    assert admin.post("/api/v1/schemes/evaluate", json={"labels": labels, "scheme_id": "nope"}).status_code == 404
    commentator = grant(app, "wang", "commentator", "school-no1")
    assert commentator.post("/api/v1/schemes/evaluate", json={"labels": labels}).status_code == 403


def test_scheme_edits_reach_the_scheduler(tmp_path: Path, admin: TestClient) -> None:
    settings = Settings(
        config_dir=REPO / "config" / "example",
        data_dir=tmp_path / "data",
        workflow_db=f"sqlite:///{tmp_path / 'wf.sqlite3'}",  # the API's database (the app fixture's)
    )
    services = Services.load(settings)
    try:
        assert not services.refresh_schemes()  # nothing new
        assert admin.post("/api/v1/schemes", json=SCHEME).status_code == 201
        assert services.refresh_schemes()
        assert "lamp" in {s.id for s in services.config.schemes}
        assert services.analyser.analyse(title="路灯修好了", content="", default_unit=None).schemes == ["lamp"]
    finally:
        services.close()


def test_incident_list_filters(admin: TestClient) -> None:
    every = admin.get("/api/v1/incidents").json()
    assert len(every) == 3
    ids = [i["id"] for i in every]
    assert [i["id"] for i in admin.get("/api/v1/incidents", params={"stage": "analyse", "min_level": 3}).json()] == ids
    assert admin.get("/api/v1/incidents", params={"stage": "closed"}).json() == []
    assert admin.get("/api/v1/incidents", params={"breached": True}).json() == []
    first = min(i["discovered_at"] for i in every)
    assert admin.get("/api/v1/incidents", params={"until": first}).json() == []
    assert len(admin.get("/api/v1/incidents", params={"since": first, "limit": 2}).json()) == 2
    assert admin.get("/api/v1/incidents", params={"since": "2026-01-01T00:00:00"}).status_code == 422
    assert admin.get("/api/v1/incidents", params={"stage": "done"}).status_code == 422
    note = admin.post(f"/api/v1/incidents/{every[0]['id']}/notes", json={"text": "<b>已在论坛回复</b>"}).json()
    assert note["timeline"][-1]["detail"] == "备注：<b>已在论坛回复</b>"  # data as written; the page escapes
    assert admin.post(f"/api/v1/incidents/{every[0]['id']}/notes", json={"text": ""}).status_code == 422


def test_flags_say_where_their_words_are(admin: TestClient) -> None:
    mention = admin.get("/api/v1/mentions/demo-baixing:3").json()
    [flag] = [f for f in mention["flags"] if f["scheme"] == "school-food-safety"]
    found = {mention[s["field"]][s["start"] : s["end"]] for s in flag["spans"]}
    assert found == set(flag["words"]) and {"食堂", "变质", "呕吐", "腹泻"} <= found


def test_sort_by_heat_and_filter_by_event(app: FastAPI, admin: TestClient) -> None:
    store = app.state.yuqing.mentions
    store.record_counts([CountUpdate("demo-baixing:4", 2, 5000), CountUpdate("demo-baixing:3", 30, 0)])
    hot = admin.get("/api/v1/mentions", params={"sort": "heat"}).json()
    assert [h["id"] for h in hot["hits"]][:2] == ["demo-baixing:4", "demo-baixing:3"]  # 5,020 then 300
    assert admin.get("/api/v1/mentions", params={"sort": "hottest"}).status_code == 422
    first = store.get("demo-baixing:1")
    store.save_analysis([(first.id, dataclasses.replace(first.analysis, event_id="evt-school"))])
    found = admin.get("/api/v1/mentions", params={"event": "evt-school"}).json()
    assert [h["id"] for h in found["hits"]] == [first.id] and found["hits"][0]["event_id"] == "evt-school"
    assert admin.get("/api/v1/mentions", params={"event": "no-such-story"}).json()["total"] == 0


def test_the_search_boxs_own_example_finds_posts_of_the_demo_board(app_world: Any, grant: Any) -> None:
    import re

    from yuqing.demo.board import SampleBoard

    page = (REPO / "api" / "static" / "search.html").read_text(encoding="utf-8")
    match = re.search(r"placeholder='检索词：(.*?)（", page)
    assert match, "the search box shows an example"
    world = app_world()
    board = SampleBoard.with_seed()
    world.add_posts(
        [
            NewMention(f"demo-{name}", str(p.id), f"http://b/{p.id}", p.title, p.content, unit="county")
            for name in SampleBoard.BOARDS
            for p in board.posts(name)
        ],
        analyse=False,
    )
    app = world.app(base_url="http://y")
    analyst = grant(app, "zhao", "analyst")
    found = analyst.get("/api/v1/mentions", params={"q": match.group(1)}).json()
    assert found["total"] >= 1, match.group(1)
