"""`yuqing run` with a damaged database or an unreachable PostgreSQL stops at once with one line naming what and
where (never a password), not a traceback, and starts nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "config" / "example"


def _run(data: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("YUQING_")}
    return subprocess.run(
        [sys.executable, "-m", "yuqing", "run", "--no-api", "--config", str(EXAMPLE), "--data", str(data)],
        env={**environ, **env},
        capture_output=True,
        text=True,
        timeout=90,
    )


def _errors(done: subprocess.CompletedProcess[str]) -> list[str]:
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    return [line for line in done.stderr.splitlines() if line.startswith("错误：")]


@pytest.mark.parametrize("name", ["workflow.sqlite3", "mentions.sqlite3"])
def test_a_damaged_database_is_one_line_naming_it(tmp_path: Path, name: str) -> None:
    (tmp_path / name).write_bytes(b"this is no database " * 200)
    done = _run(tmp_path)
    assert done.returncode == 2
    [line] = _errors(done)
    what = "工作流数据库无法使用" if name.startswith("workflow") else "舆情库无法打开"
    assert what in line and str(tmp_path / name) in line and "file is not a database" in line
    assert not (tmp_path / "logs").exists()  # no crawl started


def test_an_unreachable_postgresql_is_one_line_naming_it_without_the_password(tmp_path: Path) -> None:
    done = _run(tmp_path, YUQING_WORKFLOW_DB="postgresql+psycopg://yuqing:s3cret@127.0.0.1:1/yuqing")
    assert done.returncode == 2
    [line] = _errors(done)
    assert "工作流数据库无法使用" in line and "127.0.0.1:1/yuqing" in line and "Connection refused" in line
    assert "s3cret" not in done.stderr
