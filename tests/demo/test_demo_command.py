"""The README's main command: `yuqing demo` shows post → alert → incident → notification, stops on Ctrl+C and by
itself after --duration."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]
DEMO = [sys.executable, "-m", "yuqing", "demo"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _posters_words() -> set[str]:
    """English the demo's posters wrote (a post tests markup): theirs, printed as they wrote it."""
    import re

    import yaml

    seed = yaml.safe_load((REPO / "yuqing" / "demo" / "board_seed.yaml").read_text(encoding="utf-8"))
    texts = [str(p.get(k) or "") for p in seed["posts"] + seed["script"] for k in ("title", "content", "author")]
    return {w for t in texts for w in re.findall(r"[A-Za-z_][A-Za-z0-9_.\-]*", t)}


def _demo(tmp_path: Path, api: int, board: int, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*DEMO, "--data", str(tmp_path / "demo"), "--port", str(api), "--board-port", str(board), *extra],
        stdout=(tmp_path / "out.txt").open("w", encoding="utf-8"),
        stderr=(tmp_path / "err.txt").open("w", encoding="utf-8"),
        text=True,
        env=dict(os.environ),
    )


def test_demo_runs_end_to_end_and_stops_on_ctrl_c(tmp_path: Path, english_in: Any) -> None:
    """Until its first case is notified (however loaded the machine: the fresh-clone run once had no notification
    within a fixed 45 s at load 20), then Ctrl+C, as its banner says."""
    api, board = _free_port(), _free_port()
    process = _demo(tmp_path, api, board, "--speed", "3", "--duration", "600")
    inbox_file = tmp_path / "demo" / "inbox.jsonl"
    deadline = time.monotonic() + 300
    try:
        while time.monotonic() < deadline and process.poll() is None:
            if "帖子发布 → 通知送达" in (tmp_path / "out.txt").read_text(encoding="utf-8") and any(
                "【重大舆情】城关第一中学" in json.loads(line)["title"]
                for line in (inbox_file.read_text(encoding="utf-8").splitlines() if inbox_file.exists() else [])
            ):
                break
            time.sleep(0.5)
        process.send_signal(signal.SIGINT)
        returncode = process.wait(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    done = subprocess.CompletedProcess(
        process.args,
        returncode,
        (tmp_path / "out.txt").read_text(encoding="utf-8"),
        (tmp_path / "err.txt").read_text(encoding="utf-8"),
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stderr
    inbox = [json.loads(line) for line in (tmp_path / "demo" / "inbox.jsonl").read_text(encoding="utf-8").splitlines()]
    titles = {m["title"] for m in inbox}
    assert any("【重大舆情】城关第一中学" in t for t in titles), titles
    assert "帖子发布 → 通知送达" in done.stdout
    assert "用户名 demo  密码 " in done.stdout  # the dashboard is behind login: the demo prints its admin login
    assert "书记登录:" in done.stdout and "用户名 shuji  密码 " in done.stdout  # and the secretary's
    assert f"http://127.0.0.1:{api}/incidents/" in inbox[0]["body"]  # links point at this demo's dashboard
    # Every line the demo prints, its banner and its log lines, is Chinese: ids an operator needs aside (the
    # logins to type, source ids) and the fresh passwords.
    printed = re.sub(r"密码 \S+", "密码 ", done.stdout + done.stderr)
    assert "舆情监测 · 演示" in printed and "信息 调度器已启动" in printed
    # GBK: part of a configured source's name (投诉直通车（示例，GBK 编码）), which the log names as configured.
    assert english_in(printed, also={"demo", "shuji", "GBK"} | _posters_words()) == [], printed[-3000:]


def test_demo_stops_by_itself_after_its_duration(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            *DEMO,
            "--data",
            str(tmp_path / "demo"),
            "--port",
            str(_free_port()),
            "--board-port",
            str(_free_port()),
            "--duration",
            "2",
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "舆情监测 · 演示" in done.stdout and "Traceback" not in done.stderr


def test_a_port_in_use_is_a_clear_error_and_nothing_is_wiped(tmp_path: Path) -> None:
    data = tmp_path / "demo"
    (data / "keep.txt").parent.mkdir(parents=True)
    (data / "keep.txt").write_text("earlier demo", encoding="utf-8")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = int(taken.getsockname()[1])
        args = ["--data", str(data), "--board-port", str(port), "--port", str(_free_port()), "--duration", "5"]
        done = subprocess.run(
            [sys.executable, "-m", "yuqing", "demo", *args],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 2 and f"端口 {port} 已被占用" in done.stderr and "--board-port" in done.stderr
    assert "Traceback" not in done.stderr and (data / "keep.txt").exists()
