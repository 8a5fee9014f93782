"""The real API for the load benchmarks: `yuqing run --no-scheduler` (uvicorn) in its own process on 127.0.0.1,
over a data directory the benchmark prepares. Stops with the benchmark."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def bench_config(work: Path) -> Path:
    """The example configuration without sources (nothing crawls) and with channels nobody listens on."""
    config = work / "config"
    shutil.copytree(REPO / "config" / "example", config)
    (config / "sources.yaml").write_text("sources: []\n", encoding="utf-8")
    return config


def bench_token(env: dict[str, str]) -> dict[str, str]:
    """An admin for the benchmark (the API needs a user), created with the CLI: its Authorization header."""
    run = [sys.executable, "-m", "yuqing", "user"]
    subprocess.run([*run, "add", "bench-load", "--role", "admin", "--token-only"], env=env, cwd=REPO, check=False)
    done = subprocess.run([*run, "token", "bench-load"], env=env, cwd=REPO, check=True, capture_output=True, text=True)
    return {"Authorization": f"Bearer {done.stdout.split()[-1]}"}


@contextmanager
def api_server(config: Path, data: Path, *, workers: int = 1) -> Iterator[tuple[str, dict[str, str]]]:
    """Yields the base URL once /healthz answers, and the headers of a signed-in admin; the server process is
    stopped on exit."""
    port = free_port()
    env = dict(os.environ)
    env.update(
        YUQING_CONFIG_DIR=str(config),
        YUQING_DATA_DIR=str(data),
        YUQING_API_HOST="127.0.0.1",
        YUQING_API_PORT=str(port),
    )
    command = [sys.executable, "-m", "yuqing", "run", "--no-scheduler", "--workers", str(workers)]
    process = subprocess.Popen(command, env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(
                    f"the API exited: {process.stderr.read().decode()[-2000:] if process.stderr else ''}"
                )
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the API did not start within 60 s")
            time.sleep(0.3)
        yield base, bench_token(env)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
