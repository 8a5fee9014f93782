"""The `yuqing` command line: the main group, the service's own commands (check-config, db-upgrade, run, health,
demo) and the reporting of operator errors; each domain's commands are in yuqing/commands/."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError

from config import ConfigError, Settings
from config.errors import NotConfigured, zh_message
from store.mentions.model import MentionStoreUnavailable
from yuqing.cli_zh import ZhArgumentParser
from yuqing.logs import configure as configure_logging


def _settings(args: argparse.Namespace) -> Settings:
    overrides: dict[str, Any] = {}
    if getattr(args, "config", None):
        overrides["config_dir"] = Path(args.config)
    if getattr(args, "data", None):
        overrides["data_dir"] = Path(args.data)
    return Settings(**overrides)


def cmd_check_config(args: argparse.Namespace) -> int:
    from yuqing.deployment import validate_deployment

    settings = _settings(args)
    deployment = validate_deployment(settings)
    config, playbooks = deployment.config, deployment.playbooks
    print(
        f"{settings.config_dir}：配置无误 — 信源 {len(config.sources)} 个、监测方案 {len(config.schemes)} 个、"
        f"单位 {len(config.units)} 个、通知渠道 {len(config.channels)} 个、处置预案 {len(playbooks.by_id)} 个"
    )
    return 0


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from store.workflow.migrate import upgrade

    settings = _settings(args)
    upgrade(settings.workflow_url)
    print(f"工作流数据库已是最新版本：{settings.workflow_url.split('@')[-1]}")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from yuqing.server import serve, serve_api_workers
    from yuqing.services import Services

    settings = _settings(args)
    if args.no_scheduler:
        return serve_api_workers(settings, workers=args.workers)
    return serve(Services.load(settings), with_api=not args.no_api)


def cmd_health(args: argparse.Namespace) -> int:
    """For container health checks and operators: the stores, the disk, the analysis backlog, the sources, the
    outbox (and, with --scheduler, this machine's scheduler heartbeat). Exit 0 when ok or degraded (each problem
    printed with its reason), 1 when failing or, with --scheduler, when no fresh heartbeat is here."""
    import time as time_

    from yuqing.jobs import service_health
    from yuqing.leader import heartbeat_limit, heartbeat_path
    from yuqing.services import Services

    settings = _settings(args)
    beat_file = heartbeat_path(settings.data_dir)
    read_at = time_.time()  # before the checks, which may take a moment: the age is the heartbeat's own
    try:
        beat = json.loads(beat_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        beat = None
    services = Services.load(settings, migrate=False)
    try:
        health = service_health(services)
    finally:
        services.close()
    names = {"ok": "正常", "degraded": "降级", "failing": "故障"}
    store = "无法读取" if any(p.kind == "store" for p in health.problems) else "正常"
    line = f"{names[health.status]}（{health.status}）；帖子库（{settings.mention_store}）{store}，"
    line += f"共 {health.mentions} 篇帖子"
    for problem in health.problems:
        print(f"  {names[problem.severity]}：{problem.reason}", file=sys.stderr)
    code = 1 if health.status == "failing" else 0
    if args.scheduler:
        if beat is None:
            print(f"{line}；{beat_file} 没有调度器心跳", file=sys.stderr)
            return 1
        age = read_at - float(beat["at"])
        limit = heartbeat_limit(settings.leader_retry_seconds)
        if age > limit:
            print(f"{line}；调度器心跳已 {age:.0f} 秒未更新（上限 {limit:.0f} 秒）", file=sys.stderr)
            return 1
        role = {"leader": "主调度", "standby": "待命"}.get(beat["role"], beat["role"])
        line += f"；调度器{role}（进程 {beat['pid']}），心跳在 {age:.0f} 秒前"
    print(line)
    return code


def cmd_demo(args: argparse.Namespace) -> int:
    from yuqing.demo.runner import run_demo

    return run_demo(
        data_dir=Path(args.data),
        api_port=args.port,
        board_port=args.board_port,
        keep=args.keep,
        speed=args.speed,
        duration=args.duration,
    )


def build_parser() -> argparse.ArgumentParser:
    parser = ZhArgumentParser(prog="yuqing", description="舆情监测与应急处置")
    parser.add_argument("-v", "--verbose", action="store_true", help="输出更详细的日志")
    sub = parser.add_subparsers(title="命令", metavar="命令", dest="command", required=True)

    def with_config(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
        p.add_argument("--config", help="配置目录（默认：$YUQING_CONFIG_DIR 或 config/example）")
        p.add_argument("--data", help="数据目录（默认：$YUQING_DATA_DIR 或 ./data）")
        return p

    p = with_config(sub.add_parser("check-config", help="检查配置目录，错误注明文件和字段"))
    p.set_defaults(func=cmd_check_config)
    # Each domain's commands live in its module of yuqing/commands/; the order here is the order `--help` lists.
    from yuqing.commands import analysis, briefings, crawl, schemes, store, users

    for domain in (crawl, analysis, briefings):
        domain.add_parsers(sub, with_config, _settings)
    p = with_config(sub.add_parser("db-upgrade", help="把业务数据库升级到当前结构"))
    p.set_defaults(func=cmd_db_upgrade)
    p = with_config(sub.add_parser("run", help="运行服务：调度（抓取、分析、预警）和 API"))
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--no-api", action="store_true", help="只运行调度（每套部署只能有一个）")
    mode.add_argument("--no-scheduler", action="store_true", help="只运行 API")
    p.add_argument("--workers", type=int, default=1, help="API 工作进程数（与 --no-scheduler 同用）")
    p.set_defaults(func=cmd_run)
    for domain in (users, schemes, store):
        domain.add_parsers(sub, with_config, _settings)
    p = with_config(sub.add_parser("health", help="检查存储（及调度心跳）：正常时退出码为 0"))
    p.add_argument("--scheduler", action="store_true", help="同时要求本机调度的心跳是新的")
    p.set_defaults(func=cmd_health)
    p = sub.add_parser("demo", help="在本机运行全部组件和一个示例论坛（演示）")
    p.add_argument("--data", default="data/demo", help="演示数据目录（启动时清空，除非 --keep）")
    p.add_argument("--port", type=int, default=8600, help="值班台/API 端口")
    p.add_argument("--board-port", type=int, default=8601, help="示例论坛端口")
    p.add_argument("--keep", action="store_true", help="保留上次演示的数据")
    p.add_argument("--speed", type=float, default=1.0, help="加快演示帖子出现的速度（2 = 两倍速）")
    p.add_argument("--duration", type=float, default=None, help="运行这么多秒后自动停止")
    p.set_defaults(func=cmd_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    configure_logging(verbose=args.verbose)
    try:
        code: int = args.func(args)
        return code
    except ValidationError as exc:  # the environment's settings: name the variable, never echo a secret's value
        if exc.title != "Settings":
            raise
        print("设置有误：", file=sys.stderr)
        for error in exc.errors():
            name = "YUQING_" + "_".join(str(part) for part in error["loc"]).upper()
            print(f"  {name}：{zh_message(error)}", file=sys.stderr)
        return 2
    except ConfigError as exc:
        print("配置有误：", file=sys.stderr)
        for issue in exc.issues:
            print(f"  {issue}", file=sys.stderr)
        return 2
    except NotConfigured as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2
    except (MentionStoreUnavailable, FileNotFoundError) as exc:  # names the store, never its credentials
        print(f"错误：{exc}", file=sys.stderr)
        return 2
    except SQLAlchemyError as exc:  # the workflow database is unreachable or damaged: one line, what and where
        print(f"错误：{_workflow_error(args, exc)}", file=sys.stderr)
        return 2


def _workflow_error(args: argparse.Namespace, exc: SQLAlchemyError) -> str:
    from sqlalchemy.engine import make_url

    try:
        where = make_url(_settings(args).workflow_url).render_as_string(hide_password=True)
    except Exception:  # the settings themselves are fine (they loaded before); never fail while reporting
        where = "(see YUQING_WORKFLOW_DB)"
    cause = getattr(exc, "orig", None) or exc
    reason = " ".join(str(cause).split()) or type(cause).__name__
    return f"工作流数据库无法使用 (workflow database {where}): {reason[:300]}"
