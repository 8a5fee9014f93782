"""What every bench records of its run, so a figure can be traced and trusted on a shared machine.

`bench_run(name)` gives the run a directory of its own (bench/runs/<UTC time>-<name>/, git-ignored; or the
`--out DIR` given on the command line, taken out of the arguments before the bench parses them), copies what the
bench prints into output.txt there, and at the end prints — and writes to run.json — the wall time beside the
CPU time (this process, and the child processes it waited for) and the load average at start and end: a wall
time alone says little when five other jobs share two cores.

`memory(pid)` reads a process tree's RSS beside its proportional share (PSS) from /proc: RSS counts a shared
page once per mapping (each pooled SQLite connection maps the store file), PSS divides it among its mappers.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

REPO = Path(__file__).resolve().parent.parent
RUNS = REPO / "bench" / "runs"


class _Tee:
    """sys.stdout that also writes to the run's output.txt."""

    def __init__(self, terminal: TextIO, copy: TextIO) -> None:
        self._terminal, self._copy = terminal, copy

    def write(self, text: str) -> int:
        self._copy.write(text)
        return self._terminal.write(text)

    def flush(self) -> None:
        self._copy.flush()
        self._terminal.flush()

    def __getattr__(self, name: str) -> object:
        return getattr(self._terminal, name)


def _take_out_argument(argv: list[str]) -> Path | None:
    for i, arg in enumerate(argv):
        if arg == "--out" and i + 1 < len(argv):
            value = argv[i + 1]
            del argv[i : i + 2]
            return Path(value)
        if arg.startswith("--out="):
            del argv[i]
            return Path(arg.split("=", 1)[1])
    return None


def _commit() -> str:
    done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True)
    return done.stdout.strip() or "unknown"


@contextmanager
def bench_run(name: str) -> Iterator[Path]:
    """The run's directory; prints wall and CPU time and the load average when the bench ends (even by
    SystemExit or an error)."""
    out = _take_out_argument(sys.argv)
    directory = out or RUNS / f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{name}"
    directory.mkdir(parents=True, exist_ok=True)
    os.environ["YUQING_BENCH_RUN_DIR"] = str(directory)  # where a bench puts its other files (see run_file)
    load_start = os.getloadavg()
    started, times = time.perf_counter(), os.times()
    terminal = sys.stdout
    with (directory / "output.txt").open("w", encoding="utf-8") as copy:
        sys.stdout = _Tee(terminal, copy)
        try:
            yield directory
        finally:
            wall = time.perf_counter() - started
            end = os.times()
            own = (end.user - times.user) + (end.system - times.system)
            children = (end.children_user - times.children_user) + (end.children_system - times.children_system)
            load_end = os.getloadavg()
            print(
                f"\nrun: wall {wall:.1f} s, CPU {own + children:.1f} s (this process {own:.1f} s, child processes"
                f" {children:.1f} s); load average {load_start[0]:.2f} at start, {load_end[0]:.2f} at end;"
                f" files in {directory}"
            )
            sys.stdout = terminal
            facts = {
                "bench": name,
                "argv": sys.argv[1:],
                "commit": _commit(),
                "started": datetime.fromtimestamp(time.time() - wall, UTC).isoformat(timespec="seconds"),
                "wall_seconds": round(wall, 3),
                "cpu_seconds": round(own, 3),
                "children_cpu_seconds": round(children, 3),
                "load_average_start": load_start,
                "load_average_end": load_end,
                "cpu_count": os.cpu_count(),
            }
            (directory / "run.json").write_text(json.dumps(facts, indent=2) + "\n", encoding="utf-8")


def run_file(name: str) -> Path:
    """A file of this run (a profile, a log): relative names go into the run's directory."""
    path = Path(name)
    return path if path.is_absolute() else Path(os.environ.get("YUQING_BENCH_RUN_DIR", ".")) / path


@dataclass(frozen=True)
class Memory:
    rss_mb: float  # resident pages, a shared page counted once per mapping that touches it
    pss_mb: float  # proportional: each page divided among the mappings sharing it
    pss_anon_mb: float  # the process's own heap and stacks (PSS of anonymous pages)
    pss_file_mb: float  # file pages (the SQLite file through mmap, libraries): page cache, reclaimable

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


def _tree(pid: int) -> set[int]:
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    tree, changed = {pid}, True
    while changed:
        changed = False
        for child, parent in parents.items():
            if parent in tree and child not in tree:
                tree.add(child)
                changed = True
    return tree


def memory(pid: int) -> Memory:
    """RSS and PSS of a process and its descendants (uvicorn workers), from /proc/PID/smaps_rollup, in MB."""
    totals = {"Rss": 0, "Pss": 0, "Pss_Anon": 0, "Pss_File": 0}
    for member in _tree(pid):
        try:
            lines = Path(f"/proc/{member}/smaps_rollup").read_text().splitlines()
        except OSError:
            continue
        for line in lines:
            key, _, rest = line.partition(":")
            if key in totals:
                totals[key] += int(rest.split()[0])  # kB
    return Memory(*(totals[k] / 1024 for k in ("Rss", "Pss", "Pss_Anon", "Pss_File")))
