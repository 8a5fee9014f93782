"""The shipped systemd unit for the plain `yuqing run`: restarts whatever ends it, runs from a fixed directory,
lets a crawl finish on stop, and is a unit systemd itself accepts (systemd-analyze verify, where installed)."""

from __future__ import annotations

import configparser
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

UNIT = Path(__file__).resolve().parents[1] / "deploy" / "systemd" / "yuqing.service"


def _unit() -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=True, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # systemd keys are case-sensitive
    parser.read_string(UNIT.read_text(encoding="utf-8"))
    return parser


def test_the_unit_restarts_yuqing_run_forever_from_a_fixed_directory() -> None:
    unit = _unit()
    service = unit["Service"]
    assert service["ExecStart"].split()[1:3] == ["run", "--config"]
    assert "--no-api" not in service["ExecStart"] and "--no-scheduler" not in service["ExecStart"]
    assert service["Restart"] == "always" and float(service["RestartSec"]) > 0
    assert unit["Unit"]["StartLimitIntervalSec"] == "0"  # never gives up restarting
    assert service["WorkingDirectory"].startswith("/")  # no operator folder can shadow a package
    assert int(service["TimeoutStopSec"]) > 600  # the default crawl timeout: a stop lets the crawl finish
    assert unit["Install"]["WantedBy"] == "multi-user.target"


def test_systemd_accepts_the_unit(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed here")
    yuqing = Path(sys.executable).parent / "yuqing"
    text = UNIT.read_text(encoding="utf-8").replace("/opt/yuqing/.venv/bin/yuqing", str(yuqing))
    text = "\n".join(line for line in text.splitlines() if not line.startswith(("User=", "Group=")))
    copy = tmp_path / "yuqing.service"
    copy.write_text(text, encoding="utf-8")
    done = subprocess.run([analyze, "verify", str(copy)], capture_output=True, text=True, timeout=60)
    complaints = [line for line in (done.stdout + done.stderr).splitlines() if str(copy) in line or "yuqing" in line]
    assert not complaints, complaints
