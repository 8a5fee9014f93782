"""Schemathesis against the app's own OpenAPI document, in-process, signed in with an API token: no input gives
a 5xx, and every response matches its declared schema and content type. Bounded: a few examples per
operation, derandomised so a failure reproduces."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import content_type_conformance, not_a_server_error, response_schema_conformance
from schemathesis.core.result import Err

from store.mentions import NewMention
from store.workflow.db import utcnow
from web.access import service
from web.access.roles import Role

REPO = Path(__file__).resolve().parents[2]
ADMIN = "fuzz-admin-7f3a"
EXAMPLES = 15


@pytest.fixture(scope="module")
def fuzz_app(module_app_world: Any) -> tuple[FastAPI, str]:
    world = module_app_world()
    world.add_posts(
        [
            NewMention("demo-baixing", "1", "http://b/1", "城关第一中学学生被殴打住院", "城关一中学生被围殴受伤住院。"),
            NewMention("demo-tousu", "2", "http://b/2", "<script>alert(1)</script>乱收费", "=SUM(A1) 资料费"),
        ]
    )
    world.run_rules("demo-baixing:1")
    app: FastAPI = world.app()
    config, sessions = world.config, world.sessions
    with sessions.begin() as session:
        now = utcnow()
        service.create_user(
            session,
            config=config,
            name=ADMIN,
            role=Role.ADMIN,
            unit=None,
            password=None,
            display_name=None,
            actor="test",
            now=now,
        )
        _, token = service.issue_token(session, name=ADMIN, label="fuzz", expires_in=None, actor="test", now=now)
    return app, token


def test_no_input_gives_a_server_error(fuzz_app: tuple[FastAPI, str]) -> None:
    app, token = fuzz_app
    # The live feed is an endless stream: its parameters are tested in test_api.py.
    schema = schemathesis.openapi.from_asgi("/openapi.json", app).exclude(path="/api/v1/feed")
    checks = [not_a_server_error, response_schema_conformance, content_type_conformance]
    failures: dict[str, str] = {}
    operations = 0
    for result in schema.get_all_operations():
        if isinstance(result, Err):
            raise result.err()  # an operation our own schema describes wrongly
        operation = result.ok()
        operations += 1
        # Valid and invalid data alike: a wrong type, a missing field, a value out of range must all be 4xx.
        strategy = operation.as_strategy(GenerationMode.POSITIVE) | operation.as_strategy(GenerationMode.NEGATIVE)

        @given(case=strategy)
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def run(case: Any) -> None:
            case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=checks)

        try:
            run()
        except Exception as exc:  # every operation is tried; all failures are reported together
            failures[operation.label] = str(exc)[:2000]
    assert operations >= 30
    assert not failures, "\n\n".join(f"{label}: {text}" for label, text in failures.items())
