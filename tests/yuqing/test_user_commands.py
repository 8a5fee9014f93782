"""`yuqing user …` in-process against a real workflow database: add (password from stdin), token, list,
disable, enable, password; bad input is a message and exit code 2, never a traceback."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from store.workflow import make_engine, make_session_factory
from web.access.models import ApiToken, User
from yuqing.cli import main

REPO = Path(__file__).resolve().parents[2]


def _run(monkeypatch: pytest.MonkeyPatch, data: Path, *args: str, stdin: str = "") -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return main(["user", args[0], "--config", str(REPO / "config" / "example"), "--data", str(data), *args[1:]])


def test_user_commands(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], app_world: Any
) -> None:
    data = tmp_path / "data"
    add = ("add", "li", "--role", "secretary", "--unit", "school-no1", "--display-name", "李书记", "--password-stdin")
    assert _run(monkeypatch, data, *add, stdin="correct horse battery\n") == 0
    assert "已创建用户 li" in capsys.readouterr().out
    assert _run(monkeypatch, data, *add, stdin="correct horse battery\n") == 2  # exists
    assert "用户 li 已存在" in capsys.readouterr().err
    weak = ("add", "wang", "--role", "analyst", "--password-stdin")
    assert _run(monkeypatch, data, *weak, stdin="short\n") == 2
    assert "密码至少需要 10 个字符" in capsys.readouterr().err
    assert _run(monkeypatch, data, "add", "zhao", "--role", "secretary", "--token-only") == 2  # no unit
    assert _run(monkeypatch, data, "add", "bot", "--role", "analyst", "--token-only") == 0
    capsys.readouterr()

    assert _run(monkeypatch, data, "token", "li", "--label", "日报脚本", "--days", "30") == 0
    token = capsys.readouterr().out.strip()
    assert token.startswith("yq_")
    assert _run(monkeypatch, data, "list") == 0
    listing = capsys.readouterr().out.splitlines()
    assert (
        "li\t李书记\t书记\t城关第一中学（school-no1）\t在用" in listing
        and listing[0] == "登录名\t姓名\t角色\t单位\t状态"
        and any(x.startswith("bot\t") for x in listing)
    )

    # The printed token works against the API built on the same database, until the user is disabled.
    url = f"sqlite:///{(data / 'workflow.sqlite3').resolve()}"
    app = app_world(workflow_url=url, folder=data).app()
    engine = make_engine(url)
    client = TestClient(app, headers={"Authorization": f"Bearer {token}"})
    assert client.get("/api/v1/auth/me").json()["display_name"] == "李书记"
    assert _run(monkeypatch, data, "disable", "li") == 0
    assert client.get("/api/v1/auth/me").status_code == 401
    assert _run(monkeypatch, data, "enable", "li") == 0
    assert client.get("/api/v1/auth/me").status_code == 200
    assert _run(monkeypatch, data, "password", "li", "--password-stdin", stdin="another good secret\n") == 0
    assert _run(monkeypatch, data, "disable", "ghost") == 2
    with make_session_factory(engine)() as session:
        user = session.scalars(select(User).where(User.name == "li")).one()
        assert user.password_hash and user.password_hash.startswith("$argon2id$")
    engine.dispose()


def test_token_is_stored_when_stdout_is_closed(tmp_path: Path, app_world: Any) -> None:
    """`yuqing user token li | head -1`: the token is committed before it is printed, so a reader that goes away
    (here: stdout a pipe whose reading end is already closed) cannot roll back a token it may have shown."""
    data = tmp_path / "data"
    common = ["--config", str(REPO / "config" / "example"), "--data", str(data)]
    subprocess.run(
        [sys.executable, "-m", "yuqing", "user", "add", "li", "--role", "analyst", "--token-only", *common],
        check=True,
        capture_output=True,
    )
    read_end, write_end = os.pipe()
    os.close(read_end)  # every write to stdout now fails with EPIPE
    try:
        done = subprocess.run(
            [sys.executable, "-m", "yuqing", "user", "token", "li", "--label", "脚本", *common],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
        )
    finally:
        os.close(write_end)
    assert done.returncode == 1, done.stderr
    assert "输出中断（标准输出已关闭）：操作已保存" in done.stderr and "Traceback" not in done.stderr
    engine = make_engine(f"sqlite:///{(data / 'workflow.sqlite3').resolve()}")
    try:
        with make_session_factory(engine)() as session:
            tokens = session.scalars(select(ApiToken).join(User, User.id == ApiToken.user_id).where(User.name == "li"))
            assert [t.label for t in tokens] == ["脚本"]
    finally:
        engine.dispose()
