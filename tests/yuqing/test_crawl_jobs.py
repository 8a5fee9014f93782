"""The scheduler's crawl job (yuqing/jobs.py) around a real crawl subprocess: a crawl that dies before it can
record its own run is recorded with the tail of its output, counts toward `failing_after`, raises the operations
alert and keeps its log; and no folder in the working directory can shadow one of the project's packages."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from config import Settings
from sources.alerts import SourceAlert
from sources.health import SourceHealth
from sources.runs import CrawlRun
from yuqing import jobs
from yuqing.demo.board import SampleBoard
from yuqing.jobs import crawl_source, operations_tick
from yuqing.services import Services

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def board() -> Iterator[SampleBoard]:
    board = SampleBoard.with_seed()
    board.start()
    yield board
    board.stop()


def _services(tmp_path: Path, make_config: Any, board_url: str) -> Services:
    config = make_config(tmp_path / "config", board_url=board_url, download_delay=0)
    return Services.load(Settings(config_dir=config, data_dir=tmp_path / "data", redis_url=None))


def test_a_crawl_that_exits_non_zero_is_recorded_counted_alerted_and_its_logs_kept(
    tmp_path: Path, make_config: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(jobs, "FAILED_LOGS_KEPT", 2)
    services = _services(tmp_path, make_config, "http://127.0.0.1:9")
    # A corrupt mention store: the crawl dies opening it, before its spider can record a run.
    (tmp_path / "data" / "mentions.sqlite3").write_bytes(b"this is not a database " * 100)
    try:
        outcomes = [crawl_source(services, "demo-baixing") for _ in range(3)]
        opened, _ = operations_tick(services)
        with services.sessions() as session:
            runs = list(session.scalars(select(CrawlRun).where(CrawlRun.source == "demo-baixing")))
            health = session.get(SourceHealth, "demo-baixing")
            alerts = list(session.scalars(select(SourceAlert).where(SourceAlert.resolved_at.is_(None))))
    finally:
        services.close()
    assert [o.returncode for o in outcomes] == [1, 1, 1]
    assert len(runs) == 3 and not any(run.ok for run in runs)
    assert {run.finish_reason for run in runs} == {"抓取进程异常退出（退出码 1）"}
    assert health is not None and health.consecutive_failures == 3
    assert health.last_error is not None and "file is not a database" in health.last_error  # the stderr tail
    # The source's alert, and the service's own: its mention store is unreadable, and its only crawled source fails.
    assert opened == 3
    assert sorted((a.source, a.kind) for a in alerts) == [
        ("demo-baixing", "failing"),
        ("service", "sources"),
        ("service", "store"),
    ]
    assert all("file is not a database" in a.detail for a in alerts if a.kind in ("failing", "store"))
    logs = tmp_path / "data" / "logs"
    kept = sorted(logs.glob("crawl-demo-baixing.failed-*.log"))
    assert len(kept) == 2  # the newest failing logs, not overwritten by the next run
    assert all("file is not a database" in p.read_text(encoding="utf-8") for p in kept)


def test_a_failed_crawl_s_output_is_recorded_with_its_secrets_masked(tmp_path: Path, make_config: Any) -> None:
    """Output written outside logging (an uncaught traceback) reaches the health row and the operations alert."""
    services = _services(tmp_path, make_config, "http://127.0.0.1:9")
    services.config._secrets = {"BOARD_KEY": "k3y-0f-the-b0ard"}
    try:
        tail = "Traceback …\nValueError: http://board.example/list?key=k3y-0f-the-b0ard refused"
        jobs._record_failed_crawl(services, "demo-baixing", jobs.utcnow(), "抓取进程异常退出（退出码 1）", tail)
        with services.sessions() as session:
            health = session.get(SourceHealth, "demo-baixing")
            assert health is not None and health.last_error is not None
            assert "k3y-0f-the-b0ard" not in health.last_error and "key=${BOARD_KEY}" in health.last_error
    finally:
        services.close()


def _package_names() -> list[str]:
    return sorted(p.parent.name for p in REPO.glob("*/__init__.py"))


def test_no_folder_in_the_working_directory_shadows_a_package(
    tmp_path: Path, make_config: Any, board: SampleBoard, monkeypatch: pytest.MonkeyPatch
) -> None:
    names = _package_names()
    assert {"config", "crawlers", "store", "analysis", "alerting", "api", "yuqing"} <= set(names)
    cwd = tmp_path / "operator"
    for name in names:  # the operator's config/ and a folder named like every other package, importable or not
        (cwd / name).mkdir(parents=True)
        if name != "config":
            (cwd / name / "__init__.py").write_text("raise ImportError('shadowed by the working directory')\n")
    make_config(cwd / "config", board_url=board.base_url)
    services = _services(tmp_path, make_config, board.base_url)
    monkeypatch.chdir(cwd)
    try:
        outcome = crawl_source(services, "demo-baixing")
        with services.sessions() as session:
            runs = list(session.scalars(select(CrawlRun).where(CrawlRun.source == "demo-baixing")))
    finally:
        services.close()
    log = (tmp_path / "data" / "logs" / "crawl-demo-baixing.log").read_text(encoding="utf-8")
    assert outcome.returncode == 0, log[-2000:]
    assert [run.ok for run in runs] == [True]
    assert runs[0].new_items > 0
