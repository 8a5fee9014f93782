"""The `yuqing` command line."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError

from config import ConfigError, Settings
from store.mentions.model import MentionStoreUnavailable


def _settings(args: argparse.Namespace) -> Settings:
    overrides: dict[str, Any] = {}
    if getattr(args, "config", None):
        overrides["config_dir"] = Path(args.config)
    if getattr(args, "data", None):
        overrides["data_dir"] = Path(args.data)
    return Settings(**overrides)


def cmd_check_config(args: argparse.Namespace) -> int:
    from config import load_config

    settings = _settings(args)
    config = load_config(settings.config_dir, secrets_file=settings.secrets_file)
    print(
        f"{settings.config_dir}: OK — {len(config.sources)} sources, {len(config.schemes)} schemes, "
        f"{len(config.units)} units, {len(config.channels)} channels"
    )
    return 0


def cmd_crawl(args: argparse.Namespace) -> int:
    from crawlers.context import CrawlContext
    from crawlers.runner import run_crawl
    from yuqing.services import Services

    if args.parent_pid is not None:
        from yuqing.orphans import die_with_parent

        die_with_parent(args.parent_pid)
    services = Services.load(_settings(args))
    context = CrawlContext(settings=services.settings, config=services.config)
    stats = run_crawl(context, args.source, jsonl=Path(args.jsonl) if args.jsonl else None)
    summary = {
        "source": args.source,
        "finish_reason": stats.get("finish_reason"),
        "responses": stats.get("response_received_count", 0),
        "items": stats.get("item_scraped_count", 0),
        "new": stats.get("yuqing/created", 0),
        "updated": stats.get("yuqing/updated", 0),
        "known_skipped": stats.get("yuqing/known_skipped", 0),
        "parse_failures": stats.get("yuqing/parse_failures", 0),
        "errors": stats.get("yuqing/errors", 0),
        "refused": stats.get("yuqing/refused", 0),
        "refused_urls": stats.get("yuqing/refused_urls", 0),
        "catch_up": bool(stats.get("yuqing/catch_up", 0)),
        "revisited": stats.get("yuqing/revisited", 0),
        "removed": stats.get("yuqing/removed", 0),
        "counts_changed": stats.get("yuqing/counts_changed", 0),
        "duplicates": stats.get("yuqing/duplicate_content", 0),
        "oversized_pages": stats.get("yuqing/oversized_pages", 0),
        "encoding_mismatches": stats.get("yuqing/encoding_mismatches", 0),
    }
    print(json.dumps(summary, ensure_ascii=False))
    return 0 if stats.get("finish_reason") == "finished" else 1


def cmd_crawl_worker(args: argparse.Namespace) -> int:
    import signal
    from types import FrameType

    from store.workflow.migrate import upgrade
    from yuqing.crawl_worker import CrawlWorker
    from yuqing.services import Services

    services = Services.load(_settings(args), migrate=False)
    queue = services.crawl_queue
    if queue is None:
        print("error: set YUQING_REDIS_URL (e.g. redis://127.0.0.1:6379/0) to run crawl workers", file=sys.stderr)
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
        print("error: YUQING_REDIS_URL is not set: crawls run inside the scheduler", file=sys.stderr)
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
        response = read_file(source, Path(args.file), url=args.url) if args.file else fetch(source, args.url)
    except WorkbenchError as exc:
        print(f"error: {mask(str(exc))}", file=sys.stderr)
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
        span = f"the last {args.days:g} days" if args.days is not None else "all time"
        print(f"queued {queued} mentions from {span} for re-analysis; the running service analyses them after new")
        print("posts. Posts older than alerting.incident_max_age_hours that are now flagged open no incident.")
        if args.now:
            from analysis.job import analyse_pending

            done = analyse_pending(services.mentions, services.analyser, sessions=services.sessions, max_batches=10**9)
            print(f"re-analysed {done} mentions")
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
        print("error: give the incident id: yuqing briefing incident ID --out FILE", file=sys.stderr)
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
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        services.close()
    out.write_bytes(document.content)
    print(f"wrote {out} ({len(document.content):,} bytes)")
    if note:
        print(note, file=sys.stderr)
    return 0


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from store.workflow.migrate import upgrade

    settings = _settings(args)
    upgrade(settings.workflow_url)
    print(f"workflow database at head: {settings.workflow_url.split('@')[-1]}")
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
            print(f"  {copied} copied, {already} already there", flush=True)

        print(f"copying mentions from {source} to Elasticsearch at {target.url} ({target.names.alias})")
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
        f"done: {report.copied} mentions copied, {report.already_there} were already there; analysis numbers "
        f"continue after {report.analysis_seq}. Running it again copies only what was stored since."
    )
    print("Then set YUQING_MENTION_STORE=elasticsearch for every process and restart them.")
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
    store = "unreadable" if any(p.kind == "store" for p in health.problems) else "ok"
    line = f"{names[health.status]} ({health.status}); mention store ({settings.mention_store}) {store}, "
    line += f"{health.mentions} mentions"
    for problem in health.problems:
        print(f"  {names[problem.severity]}：{problem.reason}", file=sys.stderr)
    code = 1 if health.status == "failing" else 0
    if args.scheduler:
        if beat is None:
            print(f"{line}; no scheduler heartbeat at {beat_file}", file=sys.stderr)
            return 1
        age = read_at - float(beat["at"])
        limit = heartbeat_limit(settings.leader_retry_seconds)
        if age > limit:
            print(f"{line}; scheduler heartbeat is {age:.0f}s old (limit {limit:.0f}s)", file=sys.stderr)
            return 1
        line += f"; scheduler {beat['role']} (pid {beat['pid']}), heartbeat {age:.0f}s ago"
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
    parser = argparse.ArgumentParser(prog="yuqing", description="舆情监测与应急处置 / public-opinion monitoring")
    parser.add_argument("-v", "--verbose", action="store_true")
    sub = parser.add_subparsers(dest="command", required=True)

    def with_config(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
        p.add_argument("--config", help="configuration directory (default: $YUQING_CONFIG_DIR or config/example)")
        p.add_argument("--data", help="data directory (default: $YUQING_DATA_DIR or ./data)")
        return p

    p = with_config(sub.add_parser("check-config", help="validate a configuration directory"))
    p.set_defaults(func=cmd_check_config)
    p = with_config(sub.add_parser("crawl", help="crawl one source now"))
    p.add_argument("source")
    p.add_argument("--jsonl", help="also write every item found to this file, one JSON object a line")
    p.add_argument("--parent-pid", type=int, default=None, help=argparse.SUPPRESS)  # set by the scheduler/workers
    p.set_defaults(func=cmd_crawl)
    p = with_config(sub.add_parser("crawl-worker", help="run crawl jobs from the shared Redis queue"))
    p.add_argument("--concurrency", type=int, default=1, help="crawls at once in this worker (default 1)")
    p.add_argument("--worker-id", help="default: host:pid:random")
    p.set_defaults(func=cmd_crawl_worker)
    p = with_config(sub.add_parser("crawl-queue", help="show the shared crawl queue, its workers and recent jobs"))
    p.add_argument("--recent", type=int, default=20, help="how many finished jobs to show")
    p.set_defaults(func=cmd_crawl_queue)
    source_cmd = sub.add_parser("source", help="work on source definitions")
    source_sub = source_cmd.add_subparsers(dest="source_command", required=True)
    p = with_config(source_sub.add_parser("try", help="show what each selector of SOURCE takes from one page"))
    p.add_argument("source")
    p.add_argument(
        "--url", help="the page to fetch; with --file, only the address the saved page came from (for its links)"
    )
    p.add_argument("--file", help="a saved page instead of fetching")
    p.add_argument(
        "--as",
        dest="page",
        choices=["list", "thread"],
        help="read the page as a list page or a thread page (default: thread if the URL matches post_id_pattern)",
    )
    p.add_argument("--all", action="store_true", help="show every list item, not only the first 10")
    p.set_defaults(func=cmd_source_try)
    p = with_config(sub.add_parser("analyse", help="analyse --text or one text per line on stdin"))
    p.add_argument("--text")
    p.add_argument("--json", action="store_true")
    p.add_argument("--source", help="source id, for its weight in the risk level")
    p.set_defaults(func=cmd_analyse)
    p = with_config(sub.add_parser("reanalyse", help="analyse stored mentions again after a scheme or model change"))
    p.add_argument("--days", type=float, default=None, help="only mentions discovered in the last N days")
    p.add_argument("--now", action="store_true", help="analyse them in this process instead of the service")
    p.set_defaults(func=cmd_reanalyse)
    p = with_config(sub.add_parser("briefing", help="write a briefing (日报/周报/研判) or an incident report (专报)"))
    p.add_argument("kind", choices=["daily", "weekly", "analysis", "incident"])
    p.add_argument("incident", nargs="?", type=int, help="the incident id (incident reports)")
    p.add_argument("--date", "--start", "--first", dest="first", help="first (or only) Beijing day, YYYY-MM-DD")
    p.add_argument("--last", help="last Beijing day of an analysis report (included)")
    p.add_argument("--unit", help="unit id: the report covers it and the units below it (default: all)")
    p.add_argument("--format", choices=["html", "pdf"], help="default: from the file name")
    p.add_argument("--out", required=True, help="the file to write")
    p.set_defaults(func=cmd_briefing)
    p = with_config(sub.add_parser("db-upgrade", help="bring the workflow database to the current schema"))
    p.set_defaults(func=cmd_db_upgrade)
    p = with_config(sub.add_parser("run", help="run the service: scheduler (crawl, analyse, alert) and the API"))
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--no-api", action="store_true", help="scheduler only (exactly one per deployment)")
    mode.add_argument("--no-scheduler", action="store_true", help="API only")
    p.add_argument("--workers", type=int, default=1, help="API worker processes (with --no-scheduler)")
    p.set_defaults(func=cmd_run)
    from yuqing.user_commands import add_parsers

    add_parsers(sub, with_config, _settings)
    from yuqing import scheme_commands

    scheme_commands.add_parsers(sub, with_config, _settings)
    store_cmd = sub.add_parser("store", help="work on the mention store")
    store_sub = store_cmd.add_subparsers(dest="store_command", required=True)
    p = with_config(
        store_sub.add_parser("migrate", help="copy the embedded store's mentions into Elasticsearch (resumable)")
    )
    p.add_argument("--to", required=True, choices=["elasticsearch"], help="the backend to copy into")
    p.add_argument("--from", dest="source", help="the embedded store file (default: <data>/mentions.sqlite3)")
    p.add_argument("--batch", type=int, default=500, help="mentions per bulk request")
    p.set_defaults(func=cmd_store_migrate)
    p = with_config(sub.add_parser("health", help="check the stores (and the scheduler's heartbeat): exit 0 if ok"))
    p.add_argument("--scheduler", action="store_true", help="also require a fresh heartbeat of a scheduler here")
    p.set_defaults(func=cmd_health)
    p = sub.add_parser("demo", help="run everything on this machine against a bundled sample board")
    p.add_argument("--data", default="data/demo", help="demo data directory (wiped at start unless --keep)")
    p.add_argument("--port", type=int, default=8600, help="dashboard/API port")
    p.add_argument("--board-port", type=int, default=8601, help="sample board port")
    p.add_argument("--keep", action="store_true", help="keep data from an earlier demo run")
    p.add_argument("--speed", type=float, default=1.0, help="play the demo posts faster (2 = twice as fast)")
    p.add_argument("--duration", type=float, default=None, help="stop by itself after this many seconds")
    p.set_defaults(func=cmd_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if not args.verbose:
        # Every job run and every sent message at INFO drowns what an operator needs to read.
        for noisy in ("apscheduler", "apprise", "scrapy", "twisted", "py.warnings"):
            logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        code: int = args.func(args)
        return code
    except ValidationError as exc:  # the environment's settings: name the variable, never echo a secret's value
        if exc.title != "Settings":
            raise
        print("settings error:", file=sys.stderr)
        for error in exc.errors():
            name = "YUQING_" + "_".join(str(part) for part in error["loc"]).upper()
            print(f"  {name}: {error['msg']}", file=sys.stderr)
        return 2
    except ConfigError as exc:
        print("configuration error:", file=sys.stderr)
        for issue in exc.issues:
            print(f"  {issue}", file=sys.stderr)
        return 2
    except KeyError as exc:
        print(f"error: {exc.args[0]}", file=sys.stderr)
        return 2
    except (MentionStoreUnavailable, FileNotFoundError) as exc:  # names the store, never its credentials
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except SQLAlchemyError as exc:  # the workflow database is unreachable or damaged: one line, what and where
        print(f"error: {_workflow_error(args, exc)}", file=sys.stderr)
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
