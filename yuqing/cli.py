"""The `yuqing` command line."""

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


def cmd_crawl(args: argparse.Namespace) -> int:
    from crawlers.context import CrawlContext
    from crawlers.runner import run_crawl
    from crawlers.stats import CrawlStat
    from yuqing.services import Services

    if args.parent_pid is not None:
        from yuqing.orphans import die_with_parent

        die_with_parent(args.parent_pid)
    services = Services.load(_settings(args), check_channels=False)  # a crawl sends nothing
    context = CrawlContext(settings=services.settings, config=services.config)
    stats = run_crawl(context, args.source, jsonl=Path(args.jsonl) if args.jsonl else None)
    summary = {
        "source": args.source,
        "finish_reason": stats.get(CrawlStat.FINISH_REASON),
        "responses": stats.get(CrawlStat.RESPONSES, 0),
        "items": stats.get(CrawlStat.ITEMS, 0),
        "new": stats.get(CrawlStat.CREATED, 0),
        "updated": stats.get(CrawlStat.UPDATED, 0),
        "known_skipped": stats.get(CrawlStat.KNOWN_SKIPPED, 0),
        "parse_failures": stats.get(CrawlStat.PARSE_FAILURES, 0),
        "errors": stats.get(CrawlStat.ERRORS, 0),
        "refused": stats.get(CrawlStat.REFUSED, 0),
        "refused_urls": stats.get(CrawlStat.REFUSED_URLS, 0),
        "catch_up": bool(stats.get(CrawlStat.CATCH_UP, 0)),
        "revisited": stats.get(CrawlStat.REVISITED, 0),
        "removed": stats.get(CrawlStat.REMOVED, 0),
        "counts_changed": stats.get(CrawlStat.COUNTS_CHANGED, 0),
        "duplicates": stats.get(CrawlStat.DUPLICATE_CONTENT, 0),
        "oversized_pages": stats.get(CrawlStat.OVERSIZED_PAGES, 0),
        "encoding_mismatches": stats.get(CrawlStat.ENCODING_MISMATCHES, 0),
    }
    # The operator reads the crawl in Chinese (stderr); the JSON line on stdout is for the scheduler and scripts.
    done = "完成" if summary["finish_reason"] == "finished" else "未完成"
    print(
        f"「{services.config.source(args.source).name}」抓取{done}："
        f"下载 {summary['responses']} 个页面，新帖 {summary['new']} 条，更新 {summary['updated']} 条，"
        f"解析失败 {summary['parse_failures']} 条，错误 {summary['errors']} 个",
        file=sys.stderr,
    )
    print(json.dumps(summary, ensure_ascii=False))
    return 0 if stats.get(CrawlStat.FINISH_REASON) == "finished" else 1


def cmd_crawl_worker(args: argparse.Namespace) -> int:
    import signal
    from types import FrameType

    from store.workflow.migrate import upgrade
    from yuqing.crawl_worker import CrawlWorker
    from yuqing.services import Services

    services = Services.load(_settings(args), migrate=False)
    queue = services.crawl_queue
    if queue is None:
        print("错误：抓取工作进程需要设置 YUQING_REDIS_URL（例如 redis://127.0.0.1:6379/0）", file=sys.stderr)
        return 2
    # Workers starting together on a fresh database would race to create the schema: one at a time.
    with queue.client.lock(f"{queue.base}:migrate", timeout=300, blocking_timeout=300):
        upgrade(services.settings.workflow_url)
    worker = CrawlWorker(services, queue, concurrency=args.concurrency, worker_id=args.worker_id)

    def handle(signum: int, frame: FrameType | None) -> None:
        worker.stop.set()

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)
    try:
        return worker.run()
    finally:
        services.close()


def cmd_crawl_queue(args: argparse.Namespace) -> int:
    from yuqing.services import Services

    services = Services.load(_settings(args), migrate=False)
    queue = services.crawl_queue
    if queue is None:
        print("错误：未设置 YUQING_REDIS_URL：抓取在调度进程内运行", file=sys.stderr)
        return 2
    try:
        status = queue.status()
        status["recent"] = queue.history(args.recent)
        print(json.dumps(status, ensure_ascii=False, indent=2))
    finally:
        services.close()
    return 0


def cmd_source_try(args: argparse.Namespace) -> int:
    from config import load_config
    from crawlers.workbench import WorkbenchError, fetch, read_file, report

    settings = _settings(args)
    config = load_config(settings.config_dir, secrets_file=settings.secrets_file)
    source, mask = config.source(args.source), config.mask  # a key in a URL prints as ${NAME}
    try:
        url = args.url or source.start_urls[0]  # without --url: the source's first list page
        response = read_file(source, Path(args.file), url=args.url) if args.file else fetch(source, url)
    except WorkbenchError as exc:
        print(f"错误：{mask(str(exc))}", file=sys.stderr)
        return 1
    as_thread = None if args.page is None else args.page == "thread"
    print(mask(report(source, response, as_thread=as_thread, show=None if args.all else 10)))
    return 0


def cmd_analyse(args: argparse.Namespace) -> int:
    from analysis.standalone import analyse_texts
    from config import load_config

    settings = _settings(args)
    config = load_config(settings.config_dir, secrets_file=settings.secrets_file)
    if args.text is not None:
        texts: list[str] = [args.text]
    else:
        sys.stdin.reconfigure(errors="replace")  # type: ignore[union-attr]  # binary garbage: analysed, not fatal
        texts = [line.rstrip("\n") for line in sys.stdin]
    for result in analyse_texts(config, texts, source=args.source):
        if args.json:
            print(json.dumps(result, ensure_ascii=False))
        elif "rejected" in result:
            print(f"第 {result['line']} 行：不分析（{result['rejected']}）")
        else:
            print(result["text"])
            print(f"  级别：{result['level_zh']}")
            for line in result["explanation"]:
                print(f"  {line}")
    return 0


def cmd_reanalyse(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime, timedelta

    from yuqing.services import Services

    settings = _settings(args)
    services = Services.load(settings)
    try:
        since = datetime.now(UTC) - timedelta(days=args.days) if args.days is not None else None
        queued = services.mentions.request_reanalysis(since=since)
        span = f"最近 {args.days:g} 天" if args.days is not None else "全部"
        print(f"已将{span}的 {queued} 篇帖子排入重新分析；运行中的服务会在分析完新帖后处理它们。")
        print("早于 alerting.incident_max_age_hours 的帖子即使这次被标出，也不会立案。")
        if args.now:
            from analysis.job import analyse_pending

            done = analyse_pending(services.mentions, services.analyser, sessions=services.sessions, max_batches=10**9)
            print(f"已重新分析 {done} 篇帖子")
    finally:
        services.close()
    return 0


def cmd_briefing(args: argparse.Namespace) -> int:
    from datetime import date

    from briefings.incident_report import IncidentNotFound
    from briefings.pdf import PdfUnavailable
    from briefings.service import (
        Format,
        default_period,
        incident_document,
        make_period,
        period_document,
        today_so_far,
    )
    from store.workflow.db import utcnow
    from yuqing.services import Services

    out = Path(args.out)
    fmt: Format = "pdf" if (args.format or out.suffix.lower().lstrip(".")) == "pdf" else "html"
    if args.kind == "incident" and args.incident is None:
        print("错误：请给出事件编号：yuqing briefing incident 编号 --out 文件", file=sys.stderr)
        return 2
    services = Services.load(_settings(args))
    note = None
    try:
        stores = (services.mentions, services.sessions, services.config)
        if args.kind == "incident":
            document = incident_document(*stores, incident_id=args.incident, now=utcnow(), fmt=fmt)
        else:
            first = date.fromisoformat(args.first) if args.first else None
            last = date.fromisoformat(args.last) if args.last else None
            # A 日报 asked for at the desk is today's so far; the scheduled one covers yesterday.
            default = (
                today_so_far(utcnow()) if args.kind == "daily" else default_period(args.kind, services.config, utcnow())
            )
            period = make_period(args.kind, first or default.first, last or default.last) if first or last else default
            document = period_document(*stores, period=period, unit_id=args.unit, now=utcnow(), fmt=fmt)
            if document.empty:
                note = f"注意：{period.label} 没有监测数据（0 条帖文、0 起事件），简报内容为空。"
    except (IncidentNotFound, PdfUnavailable, ValueError) as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 1
    finally:
        services.close()
    out.write_bytes(document.content)
    print(f"已写入 {out}（{len(document.content):,} 字节）")
    if note:
        print(note, file=sys.stderr)
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


def cmd_store_migrate(args: argparse.Namespace) -> int:
    """Copy the embedded store's mentions into Elasticsearch (the YUQING_ELASTICSEARCH_* settings)."""
    from store.mentions.elastic import ElasticMentionStore
    from store.mentions.factory import elastic_options
    from store.mentions.migrate import migrate_to_elasticsearch
    from store.workflow import make_engine, make_session_factory
    from store.workflow.migrate import upgrade

    settings = _settings(args)
    source = Path(args.source) if args.source else settings.mentions_path
    upgrade(settings.workflow_url)  # the resume cursor lives in the workflow store
    engine = make_engine(settings.workflow_url)
    target = ElasticMentionStore(elastic_options(settings))
    try:

        def progress(copied: int, already: int) -> None:
            print(f"  已复制 {copied} 篇，{already} 篇原已存在", flush=True)

        print(f"正在把帖子从 {source} 复制到 Elasticsearch {target.url}（{target.names.alias}）")
        report = migrate_to_elasticsearch(
            sqlite_path=source,
            target=target,
            sessions=make_session_factory(engine),
            batch=args.batch,
            progress=progress,
        )
    finally:
        target.close()
        engine.dispose()
    print(
        f"完成：复制 {report.copied} 篇帖子，{report.already_there} 篇原已存在；分析序号从 {report.analysis_seq} "
        "之后继续。再次运行只复制此后新存的帖子。"
    )
    print("然后为每个进程设置 YUQING_MENTION_STORE=elasticsearch 并重启。")
    return 0


def cmd_health(args: argparse.Namespace) -> int:
    """For container health checks and operators: the stores, the disk, the analysis backlog, the sources, the
    outbox (and, with --scheduler, this machine's scheduler heartbeat). Exit 0 when ok or degraded (each problem
    printed with its reason), 1 when failing or, with --scheduler, when no fresh heartbeat is here."""
    import time as time_

    from yuqing.jobs import heartbeat_limit, service_health
    from yuqing.leader import heartbeat_path
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
    p = with_config(sub.add_parser("crawl", help="立即抓取一个信源"))
    p.add_argument("source", help="信源 id（sources.yaml）")
    p.add_argument("--jsonl", help="同时把抓到的每条写入此文件（每行一个 JSON）")
    p.add_argument("--parent-pid", type=int, default=None, help=argparse.SUPPRESS)  # set by the scheduler/workers
    p.set_defaults(func=cmd_crawl)
    p = with_config(sub.add_parser("crawl-worker", help="从共享的 Redis 队列领取并执行抓取任务"))
    p.add_argument("--concurrency", type=int, default=1, help="本进程同时进行的抓取数（默认 1）")
    p.add_argument("--worker-id", help="工作进程名（默认：主机:进程号:随机串）")
    p.set_defaults(func=cmd_crawl_worker)
    p = with_config(sub.add_parser("crawl-queue", help="查看共享抓取队列、工作进程和最近的任务"))
    p.add_argument("--recent", type=int, default=20, help="显示多少条已完成的任务")
    p.set_defaults(func=cmd_crawl_queue)
    source_cmd = sub.add_parser("source", help="调试信源配置")
    source_sub = source_cmd.add_subparsers(title="命令", metavar="命令", dest="source_command", required=True)
    p = with_config(source_sub.add_parser("try", help="抓取一页，显示信源的每个选择器取到了什么"))
    p.add_argument("source", help="信源 id（sources.yaml）")
    p.add_argument(
        "--url", help="要抓取的网址（默认：信源的第一个列表页）；与 --file 同用时只是保存页面的原网址（用于解析链接）"
    )
    p.add_argument("--file", help="读取已保存的页面，不抓取")
    p.add_argument(
        "--as",
        dest="page",
        choices=["list", "thread"],
        help="按列表页（list）或帖子页（thread）读取（默认：网址符合 post_id_pattern 时按帖子页）",
    )
    p.add_argument("--all", action="store_true", help="显示列表的全部条目（默认只显示前 10 条）")
    p.set_defaults(func=cmd_source_try)
    p = with_config(sub.add_parser("analyse", help="分析 --text 给出的文本，或标准输入中每行一段文本"))
    p.add_argument("--text", help="要分析的文本")
    p.add_argument("--json", action="store_true", help="以 JSON 输出")
    p.add_argument("--source", help="信源 id（按其权重计算风险等级）")
    p.set_defaults(func=cmd_analyse)
    p = with_config(sub.add_parser("reanalyse", help="修改监测方案或模型后重新分析已存的帖子"))
    p.add_argument("--days", type=float, default=None, help="只分析最近 N 天发现的帖子")
    p.add_argument("--now", action="store_true", help="在本进程内分析，而不是交给运行中的服务")
    p.set_defaults(func=cmd_reanalyse)
    p = with_config(sub.add_parser("briefing", help="生成简报（日报/周报/研判）或事件专报"))
    p.add_argument(
        "kind",
        choices=["daily", "weekly", "analysis", "incident"],
        help="daily 日报、weekly 周报、analysis 研判报告、incident 事件专报",
    )
    p.add_argument("incident", nargs="?", type=int, help="事件编号（专报）")
    p.add_argument("--date", "--start", "--first", dest="first", help="第一天（或唯一一天），北京时间，YYYY-MM-DD")
    p.add_argument("--last", help="研判报告的最后一天（含），北京时间")
    p.add_argument("--unit", help="单位 id：报告涵盖该单位及其下属单位（默认：全部）")
    p.add_argument("--format", choices=["html", "pdf"], help="html 或 pdf（默认：按文件扩展名）")
    p.add_argument("--out", required=True, help="输出文件")
    p.set_defaults(func=cmd_briefing)
    p = with_config(sub.add_parser("db-upgrade", help="把业务数据库升级到当前结构"))
    p.set_defaults(func=cmd_db_upgrade)
    p = with_config(sub.add_parser("run", help="运行服务：调度（抓取、分析、预警）和 API"))
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--no-api", action="store_true", help="只运行调度（每套部署只能有一个）")
    mode.add_argument("--no-scheduler", action="store_true", help="只运行 API")
    p.add_argument("--workers", type=int, default=1, help="API 工作进程数（与 --no-scheduler 同用）")
    p.set_defaults(func=cmd_run)
    from yuqing.user_commands import add_parsers

    add_parsers(sub, with_config, _settings)
    from yuqing import scheme_commands

    scheme_commands.add_parsers(sub, with_config, _settings)
    store_cmd = sub.add_parser("store", help="管理帖子库")
    store_sub = store_cmd.add_subparsers(title="命令", metavar="命令", dest="store_command", required=True)
    p = with_config(store_sub.add_parser("migrate", help="把内置帖子库复制到 Elasticsearch（可断点续传）"))
    p.add_argument("--to", required=True, choices=["elasticsearch"], help="目标存储")
    p.add_argument("--from", dest="source", help="内置帖子库文件（默认：<数据目录>/mentions.sqlite3）")
    p.add_argument("--batch", type=int, default=500, help="每批写入的帖子数")
    p.set_defaults(func=cmd_store_migrate)
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
