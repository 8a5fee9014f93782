"""`yuqing health` (the containers' health check) and settings errors that name the variable."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from yuqing.cli import main
from yuqing.leader import heartbeat_path

EXAMPLE = Path(__file__).resolve().parents[2] / "config" / "example"


@pytest.fixture
def data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("YUQING_WORKFLOW_DB", f"sqlite:///{tmp_path / 'workflow.sqlite3'}")
    assert main(["db-upgrade", "--data", str(tmp_path)]) == 0
    return tmp_path


def test_health_of_the_stores_and_the_scheduler_heartbeat(data: Path, capsys: Any) -> None:
    args = ["health", "--config", str(EXAMPLE), "--data", str(data)]
    assert main(args) == 0
    assert "帖子库（sqlite）正常，共 0 篇帖子" in capsys.readouterr().out
    assert main([*args, "--scheduler"]) == 1  # no scheduler ever ran here
    assert "没有调度器心跳" in capsys.readouterr().err
    beat = heartbeat_path(data)
    beat.write_text(json.dumps({"role": "standby", "pid": 42, "at": time.time() - 2}))
    assert main([*args, "--scheduler"]) == 0
    assert "调度器待命（进程 42）" in capsys.readouterr().out
    beat.write_text(json.dumps({"role": "leader", "pid": 42, "at": time.time() - 600}))  # hung or dead
    assert main([*args, "--scheduler"]) == 1
    assert "心跳已 600 秒未更新" in capsys.readouterr().err


def test_health_with_a_corrupt_mention_store_is_failing_with_the_reason(data: Path, capsys: Any) -> None:
    (data / "mentions.sqlite3").write_bytes(b"not a database " * 400)
    assert main(["health", "--config", str(EXAMPLE), "--data", str(data)]) == 1
    out = capsys.readouterr()
    assert "故障（failing）；帖子库（sqlite）无法读取" in out.out
    assert "故障：舆情库无法读取" in out.err and "file is not a database" in out.err


def test_a_bad_setting_names_the_variable(monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    monkeypatch.setenv("YUQING_ELASTICSEARCH_SHARDS", "many")
    monkeypatch.setenv("YUQING_MENTION_STORE", "mongodb")
    assert main(["health"]) == 2
    err = capsys.readouterr().err
    assert "YUQING_ELASTICSEARCH_SHARDS：应为整数" in err
    assert "YUQING_MENTION_STORE：取值无效，可选：'sqlite'、'elasticsearch'" in err
