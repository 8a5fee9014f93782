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


def server_python(repo: Path) -> str:
    """The Python that runs `repo`'s server: its own .venv if it has one, else this one (`-m yuqing` run from the
    checkout imports that checkout's code first)."""
    own = repo / ".venv" / "bin" / "python"
    return str(own) if own.exists() else sys.executable


def bench_token(env: dict[str, str], repo: Path = REPO) -> dict[str, str]:
    """An admin for the benchmark (the API needs a user), created with the CLI: its Authorization header."""
    run = [server_python(repo), "-m", "yuqing", "user"]
    add = [*run, "add", "bench-load", "--role", "admin", "--token-only"]
    added = subprocess.run(add, env=env, cwd=repo, capture_output=True, text=True)
    if added.returncode != 0 and "已存在" not in added.stderr:  # a reused database keeps the user: nothing to say
        raise SystemExit(f"yuqing user add failed: {added.stderr.strip()}")
    print(added.stdout, end="")
    done = subprocess.run([*run, "token", "bench-load"], env=env, cwd=repo, check=True, capture_output=True, text=True)
    return {"Authorization": f"Bearer {done.stdout.split()[-1]}"}


@contextmanager
def api_server(
    config: Path,
    data: Path,
    *,
    workers: int = 1,
    workflow_db: str | None = None,
    pid: list[int] | None = None,
    repo: Path = REPO,
    env_extra: dict[str, str] | None = None,
) -> Iterator[tuple[str, dict[str, str]]]:
    """Yields the base URL once /healthz answers, and the headers of a signed-in admin; the server process is
    stopped on exit. `pid` (a list) receives the server's process id, for its CPU time (cpu_seconds). `repo`:
    the checkout whose server runs (another branch's, for a side-by-side run); `env_extra`: more environment."""
    port = free_port()
    env = dict(os.environ)
    env.update(
        YUQING_CONFIG_DIR=str(config),
        YUQING_DATA_DIR=str(data),
        YUQING_API_HOST="127.0.0.1",
        YUQING_API_PORT=str(port),
    )
    if workflow_db:
        env["YUQING_WORKFLOW_DB"] = workflow_db
    env.update(env_extra or {})
    command = [server_python(repo), "-m", "yuqing", "run", "--no-scheduler", "--workers", str(workers)]
    process = subprocess.Popen(command, env=env, cwd=repo, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if pid is not None:
        pid.append(process.pid)
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
        yield base, bench_token(env, repo)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and all its descendants (uvicorn workers), from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    stats: dict[int, tuple[int, float]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        stats[int(entry.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / tick)
    tree, total = {pid}, 0.0
    changed = True
    while changed:
        changed = False
        for child, (parent, _) in stats.items():
            if parent in tree and child not in tree:
                tree.add(child)
                changed = True
    for member in tree:
        total += stats.get(member, (0, 0.0))[1]
    return total
