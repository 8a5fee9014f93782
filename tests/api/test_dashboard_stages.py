"""The dashboard's incident stages come from the server's one list (alerting.incidents.models.Stage), put ahead
of app.js when it is served; the shipped JavaScript holds no copy of them."""

from __future__ import annotations

import json
import re
from pathlib import Path

from fastapi.testclient import TestClient

from alerting.incidents.models import Stage
from api.routes.dashboard import router

REPO = Path(__file__).resolve().parents[2]


def _served_app_js() -> str:
    from fastapi import FastAPI

    app = FastAPI()
    app.include_router(router)
    served = TestClient(app).get("/static/app.js")
    assert served.status_code == 200 and served.headers["content-type"].startswith("application/javascript")
    return served.text


def _constant(script: str, name: str) -> object:
    match = re.search(rf"^const {name} = Object\.freeze\((.*)\);$", script, re.MULTILINE)
    assert match, name
    return json.loads(match.group(1))


def test_app_js_is_served_with_the_stage_list_in_order() -> None:
    script = _served_app_js()
    assert script.startswith("// Generated") and script.splitlines()[1] == '"use strict";'
    stages = _constant(script, "STAGES")
    assert isinstance(stages, dict) and list(stages.items()) == [(s.value, s.zh) for s in Stage]
    assert _constant(script, "ADVANCING_STAGES") == ["monitor", "analyse", "report"]  # 处置 closes, 结案 ends
    assert script.endswith((REPO / "api" / "static" / "app.js").read_text(encoding="utf-8"))


def test_no_script_keeps_its_own_copy_of_the_stages() -> None:
    for script in sorted((REPO / "api" / "static").glob("*.js")):
        text = script.read_text(encoding="utf-8")
        assert not re.search(r"\bconst STAGES\b|\bADVANCING_STAGES\s*=", text), script.name
        for stage in Stage:
            assert f'["{stage.value}"' not in text and f'"{stage.value}", "' not in text, (script.name, stage)
