"""`yuqing crawl`, `crawl-worker`, `crawl-queue` and `source try`: crawling the configured sources."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

from yuqing.commands import Command, SettingsOf, WithConfig


def cmd_crawl(args: argparse.Namespace, settings_of: SettingsOf) -> int:
    from crawlers.runner import run_crawl
    from crawlers.stats import CrawlStat
    from yuqing.services import Services

    if args.parent_pid is not None:
        from yuqing.orphans import die_with_parent

        die_with_parent(args.parent_pid)
    services = Services.load(settings_of(args), check_channels=False)  # a crawl sends nothing
    context = services.crawl_context()
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


def cmd_crawl_worker(args: argparse.Namespace, settings_of: SettingsOf) -> int:
    import signal
    from types import FrameType

    from store.workflow.migrate import upgrade
    from yuqing.crawl_worker import CrawlWorker
    from yuqing.services import Services

    services = Services.load(settings_of(args), migrate=False)
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


def cmd_crawl_queue(args: argparse.Namespace, settings_of: SettingsOf) -> int:
    from yuqing.services import Services

    services = Services.load(settings_of(args), migrate=False)
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


def cmd_source_try(args: argparse.Namespace, settings_of: SettingsOf) -> int:
    from config import load_config
    from crawlers.workbench import WorkbenchError, fetch, read_file, report

    settings = settings_of(args)
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


def add_parsers(sub: argparse._SubParsersAction, with_config: WithConfig, settings_of: SettingsOf) -> None:
    def bind(command: Command) -> Callable[[argparse.Namespace], int]:
        return lambda args: command(args, settings_of)

    p = with_config(sub.add_parser("crawl", help="立即抓取一个信源"))
    p.add_argument("source", help="信源 id（sources.yaml）")
    p.add_argument("--jsonl", help="同时把抓到的每条写入此文件（每行一个 JSON）")
    p.add_argument("--parent-pid", type=int, default=None, help=argparse.SUPPRESS)  # set by the scheduler/workers
    p.set_defaults(func=bind(cmd_crawl))
    p = with_config(sub.add_parser("crawl-worker", help="从共享的 Redis 队列领取并执行抓取任务"))
    p.add_argument("--concurrency", type=int, default=1, help="本进程同时进行的抓取数（默认 1）")
    p.add_argument("--worker-id", help="工作进程名（默认：主机:进程号:随机串）")
    p.set_defaults(func=bind(cmd_crawl_worker))
    p = with_config(sub.add_parser("crawl-queue", help="查看共享抓取队列、工作进程和最近的任务"))
    p.add_argument("--recent", type=int, default=20, help="显示多少条已完成的任务")
    p.set_defaults(func=bind(cmd_crawl_queue))
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
    p.set_defaults(func=bind(cmd_source_try))
