"""`yuqing run`: the scheduler and the API in one process (one scheduler per deployment)."""

from __future__ import annotations

import logging
import os
import signal
import threading
from types import FrameType

import uvicorn
from fastapi import FastAPI

from api.app import create_app
from config import Settings
from yuqing.heap import settle_heap
from yuqing.leader import Leadership, heartbeat_path, leader_lock
from yuqing.scheduler import Pipeline
from yuqing.services import Services

log = logging.getLogger(__name__)


def build_app(services: Services) -> FastAPI:
    return create_app(services.api_state())


def app_factory() -> FastAPI:
    """For API-only worker processes (`yuqing run --no-scheduler --workers N`): settings from YUQING_*."""
    app = build_app(Services.load(Settings(), migrate=False))
    settle_heap()
    return app


def serve_api_workers(settings: Settings, *, workers: int) -> int:
    """API only, several worker processes; the one scheduler runs elsewhere."""
    services = Services.load(settings)  # validate configuration and migrate once, before workers start
    os.environ.update(services.subprocess_env())  # the workers read the same settings from YUQING_*
    uvicorn.run(
        "yuqing.server:app_factory",
        factory=True,
        host=settings.api_host,
        port=settings.api_port,
        workers=workers,
        log_level="warning",
    )
    return 0


def serve(
    services: Services, *, with_api: bool = True, app: FastAPI | None = None, stop_after: float | None = None
) -> int:
    """Run until interrupted (or for `stop_after` seconds). The caller built `services`.

    The scheduler starts once this process holds the leader lock (at once when it is the only one); until
    then it is a standby. The API, if any, serves meanwhile. A lost lock stops the scheduler's jobs, not the
    process: it stands by and leads again once it gets the lock back."""
    settings = services.settings
    services.mentions  # noqa: B018  # opened before anything starts: a damaged store is one clear error line
    pipelines: list[Pipeline] = []  # the running one, while this process leads
    server: uvicorn.Server | None = None
    stop = threading.Event()

    def on_elected() -> None:
        pipeline = Pipeline(services)  # a fresh one each time: a stopped APScheduler is not started again
        pipelines.append(pipeline)
        pipeline.start()

    def on_lost() -> None:
        if pipelines:
            pipelines.pop().stop()

    leadership = Leadership(
        leader_lock(settings.workflow_url, settings.data_dir),
        retry_seconds=settings.leader_retry_seconds,
        on_elected=on_elected,
        on_lost=on_lost,
        heartbeat=heartbeat_path(settings.data_dir),
    )
    leadership.start()

    def handle(signum: int, frame: FrameType | None) -> None:
        stop.set()

    # Ours, also while uvicorn runs: it captures SIGINT/SIGTERM itself, puts these back when it has stopped and then
    # raises the signal it caught again. With Python's defaults that was a KeyboardInterrupt (Ctrl+C: exit status
    # 1 and a traceback) or an immediate death on SIGTERM that skipped the orderly stop below.
    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)
    try:
        if with_api:
            server = uvicorn.Server(
                uvicorn.Config(
                    app or build_app(services),
                    host=settings.api_host,
                    port=settings.api_port,
                    log_level="warning",
                )
            )
            settle_heap()
            if stop_after is not None:
                timer = threading.Timer(stop_after, lambda: setattr(server, "should_exit", True))
                timer.daemon = True
                timer.start()
            log.info("值班台与接口已启动：%s", settings.base_url)
            server.run()
        else:
            stop.wait(stop_after)
    finally:
        # The lock is released only after the jobs stopped: a standby must not start while a crawl still runs.
        leadership.halt()
        on_lost()
        leadership.close()
        services.close()
    return 0
