"""`yuqing demo`: the sample board, the scheduler, the API and a notification inbox, all on this machine.

A newcomer sees posts appear on the board, get crawled and flagged, an incident open with its 30-minute
countdown, and the alert arrive in the inbox — and the console says how long that took.
"""

from __future__ import annotations

import logging
import re
import secrets
import shutil
import socket
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from config import Config, Settings, names
from config.demo import write_example_config
from yuqing.demo.board import DemoScript, SampleBoard
from yuqing.demo.inbox import Inbox, InboxMessage
from yuqing.server import build_app, serve
from yuqing.services import Services

if TYPE_CHECKING:
    from web.access.roles import Role

log = logging.getLogger("yuqing.demo")
_THREAD = re.compile(r"原帖：\S*/thread/(\d+)")
DEMO_LOGIN = "demo"
# The secretary's account: the person the 30-minute rule is about sees the demo from their own seat (their
# unit and the schools under it), not only as an admin.
DEMO_SECRETARY = ("shuji", "教育局党委书记", "county-edu")


def demo_config(target: Path, *, api_port: int, board_url: str) -> Path:
    """The example configuration, pointed at this demo's board and inbox ports."""
    return write_example_config(target, board_url=board_url, inbox=f"json://127.0.0.1:{api_port}/demo/inbox")


def board_names(config: Config) -> dict[str, str]:
    """Each sample board → the configured name of the source that crawls it (`demo-<board>`)."""
    return {board: names.source_name(config, f"demo-{board}") for board in SampleBoard.BOARDS}


def inbox_names(config: Config) -> dict[str, str]:
    """The demo inbox's path of each json:// channel → the channel's name."""
    found: dict[str, str] = {}
    for channel in config.channels:
        url = channel.url.get_secret_value()
        if url.startswith("json://") and "/demo/inbox/" in url:
            found[url.rsplit("/", 1)[-1]] = names.channel_name(config, channel.id)
    return found


class LatencyReporter:
    """Prints each notification and the time from the post appearing on the board to its arrival."""

    def __init__(self, board: SampleBoard, names: dict[str, str] | None = None) -> None:
        self.board = board
        self.names = names or {}

    def __call__(self, message: InboxMessage) -> None:
        match = _THREAD.search(message.body)
        latency = ""
        if match:
            post_id = int(match.group(1))
            for name in SampleBoard.BOARDS:
                for post in self.board.posts(name):
                    if post.id == post_id:
                        seconds = (datetime.now(UTC) - post.posted_at).total_seconds()
                        latency = f"（帖子发布 → 通知送达：{seconds:.1f} 秒）"
        to = self.names.get(message.recipient, "演示收件人")
        print(f"\n📨 通知送达 {to}：{message.title} {latency}", flush=True)


def create_demo_admin(services: Services) -> tuple[str, str]:
    """The demo's admin account, with a fresh random password printed at start (a kept demo gets a new one)."""
    from web.access.roles import Role

    return _demo_user(services, DEMO_LOGIN, Role.ADMIN, None, "演示管理员")


def create_demo_secretary(services: Services) -> tuple[str, str]:
    """The secretary of the education bureau, whose schools the demo's major cases concern."""
    from web.access.roles import Role

    login, display, unit = DEMO_SECRETARY
    return _demo_user(services, login, Role.SECRETARY, unit, display)


def _demo_user(services: Services, login: str, role: Role, unit: str | None, display: str) -> tuple[str, str]:
    from store.workflow.db import utcnow
    from web.access import service

    password = secrets.token_urlsafe(9)
    with services.sessions.begin() as session:
        if service.get_user(session, name=login) is None:
            service.create_user(
                session,
                config=services.config,
                name=login,
                role=role,
                unit=unit,
                password=password,
                display_name=display,
                actor="演示",
                now=utcnow(),
            )
        else:
            service.set_password(session, name=login, password=password, actor="演示", now=utcnow())
    return login, password


def _port_free(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the servers bind: TIME_WAIT is free
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def run_demo(
    *, data_dir: Path, api_port: int, board_port: int, keep: bool, speed: float, duration: float | None
) -> int:
    for port, flag in ((board_port, "--board-port"), (api_port, "--port")):
        if not _port_free(port):  # say so before anything starts, not as a traceback halfway
            print(f"错误：端口 {port} 已被占用（另一个演示仍在运行？）；用 {flag} 换一个端口。", file=sys.stderr)
            return 2
    if data_dir.exists() and not keep:
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    board = SampleBoard.with_seed()
    board_url = board.start(port=board_port)
    settings = Settings(
        config_dir=demo_config(data_dir / "config", api_port=api_port, board_url=board_url),
        data_dir=data_dir,
        api_port=api_port,
        workflow_db=None,
        redis_url=None,  # the demo crawls inside its own scheduler, whatever the environment says
        analysis_interval_seconds=2.0,
        alerting_interval_seconds=1.0,
    )
    services = Services.load(settings)
    login, password = create_demo_admin(services)
    secretary, secretary_password = create_demo_secretary(services)
    names = inbox_names(services.config)
    inbox = Inbox(data_dir / "inbox.jsonl", on_message=LatencyReporter(board, names), names=names)
    app = build_app(services)
    app.include_router(inbox.router())
    stop = threading.Event()
    threading.Thread(
        target=DemoScript.default().play,
        args=(board,),
        kwargs={"speed": speed, "stop_event": stop, "names": board_names(services.config)},
        daemon=True,
    ).start()
    print(
        f"\n舆情监测 · 演示\n  示例论坛（被监测的投诉板）: {board_url}/\n"
        f"  值班台（预警与事件）:       {settings.base_url}/\n"
        f"  登录值班台:                 用户名 {login}  密码 {password}（演示管理员，每次演示新生成）\n"
        f"  书记登录:                   用户名 {secretary}  密码 {secretary_password}"
        f"（{DEMO_SECRETARY[1]}，负责本局及所属学校的事件）\n"
        f"  通知收件箱:                 {settings.base_url}/demo/inbox\n  数据目录:                   {data_dir}\n"
        "新帖将在 15、30、60 秒后出现在示例论坛上；Ctrl+C 结束。\n",
        flush=True,
    )
    try:
        return serve(services, app=app, stop_after=duration)
    finally:
        stop.set()
        board.stop()
        services.close()
