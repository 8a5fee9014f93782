"""Crawl throughput of one crawl process, and what a re-crawl of an unchanged board costs.

A loopback board of N threads (default 10,000; list pages of 50 with a next link) is served by a separate
process, so the server never shares the crawler's GIL. The real spider (crawlers.runner.run_crawl, one crawl a
process as in production) crawls it with politeness off (no AutoThrottle, no download delay, higher concurrency;
robots.txt is still read) into a fresh store. Then the same source is crawled again with nothing changed.

    python bench/crawl_throughput.py [--threads 10000] [--concurrency 16] [--profile crawl.prof] [--out DIR]

Prints pages/s, items stored and peak RSS per crawl process, the requests of the re-crawl, and the board
process's CPU use (to show it was not the bottleneck).
"""

from __future__ import annotations

import argparse
import html
import json
import multiprocessing
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from runinfo import bench_run, run_file  # bench/ is on sys.path when a bench script runs

REPO = Path(__file__).resolve().parent.parent
SHANGHAI = timezone(timedelta(hours=8))
PAGE = 50
_PHRASES = [
    "城关一中食堂饭菜质量差，学生反映多次无人处理",
    "小区门口道路破损严重，雨天积水，希望有关部门尽快修复",
    "县人民医院挂号排队时间太长，老人等了一上午",
    "乡镇卫生院收费不透明，请求核查",
    "学校补课收费问题，家长意见很大",
    "夜间施工噪音扰民，多次投诉未果",
    "农村饮用水水质发黄，村民担心健康",
    "公交线路调整后出行不便，请考虑恢复原线路",
    "拖欠农民工工资已经半年，讨薪无门",
    "城管执法态度粗暴，摊贩被推倒在地",
]


# --- the board (its own process) -------------------------------------------------------------------------


def _post(n: int, threads: int, now: datetime) -> tuple[str, str, str]:
    rng = random.Random(n)
    title = f"{rng.choice(_PHRASES)[:14]}（第{n}号）"
    content = "".join(f"<p>{html.escape(rng.choice(_PHRASES))}。</p>" for _ in range(rng.randint(6, 16)))
    # Newest first: thread `threads` is the newest, one a minute back from now.
    at = (now - timedelta(minutes=threads - n)).astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
    return title, content, at


def _wrap(title: str, body: str) -> bytes:
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)} - 基准论坛</title>"
        "<style>body{font:14px sans-serif}.post-item{display:flex}</style></head>"
        f'<body><div class="header">基准论坛</div><div class="main">{body}</div>'
        '<div class="footer">基准测试用</div></body></html>'
    ).encode()


def serve_board(threads: int, port_out: Any, stop: Any) -> None:
    now = datetime.now(UTC)
    pages = -(-threads // PAGE)

    def list_page(page: int) -> bytes:
        first = threads - (page - 1) * PAGE
        rows = []
        for n in range(first, max(first - PAGE, 0), -1):
            title, _, at = _post(n, threads, now)
            rows.append(
                f'<li class="post-item"><a class="post-title" href="/thread/{n}">{html.escape(title)}</a>'
                f'<span class="post-author">网友{n % 97}</span><span class="post-time">{at}</span>'
                f'<span class="post-replies">{n % 7}</span></li>'
            )
        nav = f'<a class="next-page" href="/list?page={page + 1}">下一页</a>' if page < pages else ""
        return _wrap("留言列表", f'<ul class="post-list">{"".join(rows)}</ul><div class="pager">{nav}</div>')

    def thread_page(n: int) -> bytes:
        title, content, at = _post(n, threads, now)
        return _wrap(
            title,
            f'<h1 class="thread-title">{html.escape(title)}</h1><div class="thread-meta">'
            f'<span class="author">网友{n % 97}</span><span class="time">{at}</span>'
            f'<span class="replies">{n % 7}</span><span class="views">{n % 1000}</span></div>'
            f'<div class="thread-content">{content}</div>',
        )

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as Scrapy's HTTP/1.1 client expects
        disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms delayed-ACK stall

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            path, _, query = self.path.partition("?")
            body: bytes | None = None
            content_type = "text/html; charset=utf-8"
            if path == "/robots.txt":
                body, content_type = b"User-agent: *\nDisallow: /admin/\n", "text/plain"
            elif path == "/list":
                page = int(query.removeprefix("page=") or 1) if query.startswith("page=") or not query else 1
                body = list_page(page) if 1 <= page <= pages else None
            elif path.startswith("/thread/") and path[8:].isdigit() and 1 <= int(path[8:]) <= threads:
                body = thread_page(int(path[8:]))
            if body is None:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    port_out.put(server.server_address[1])
    import threading

    threading.Thread(target=server.serve_forever, daemon=True).start()
    stop.wait()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    port_out.put(usage.ru_utime + usage.ru_stime)
    server.shutdown()


# --- one crawl (its own process, as in production) ---------------------------------------------------------


def crawl_child(config_dir: str, data_dir: str, source: str, concurrency: int, profile: str | None) -> None:
    from config import Settings, load_config
    from crawlers.context import CrawlContext
    from crawlers.runner import run_crawl
    from crawlers.stats import CrawlStat
    from store.workflow.migrate import upgrade

    settings = Settings(config_dir=Path(config_dir), data_dir=Path(data_dir))
    upgrade(settings.workflow_url)
    context = CrawlContext(settings=settings, config=load_config(settings.config_dir))
    overrides: dict[str, Any] = {
        "YUQING_SOURCE_POLITENESS": False,
        "AUTOTHROTTLE_ENABLED": False,
        "DOWNLOAD_DELAY": 0,
        "CONCURRENT_REQUESTS": concurrency,
        "CONCURRENT_REQUESTS_PER_DOMAIN": concurrency,
        "LOG_LEVEL": "WARNING",
    }
    before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    if profile:
        import cProfile

        # CPU time, not the wall clock: on a shared machine a wall-clock profile charges other jobs' time to
        # whatever function happened to be running.
        profiler = cProfile.Profile(time.process_time)
        profiler.enable()
        stats = run_crawl(context, source, **overrides)
        profiler.disable()
        profiler.dump_stats(profile)
    else:
        stats = run_crawl(context, source, **overrides)
    wall = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(
        json.dumps(
            {
                "wall": wall,
                "elapsed": stats.get(CrawlStat.ELAPSED_SECONDS),
                "responses": stats.get(CrawlStat.RESPONSES, 0),
                "requests": stats.get(CrawlStat.REQUESTS, 0),
                "robots": stats.get(CrawlStat.ROBOTS_REQUESTS, 0),
                "list_pages": stats.get(CrawlStat.LIST_PAGES, 0),
                "created": stats.get(CrawlStat.CREATED, 0),
                "known_skipped": stats.get(CrawlStat.KNOWN_SKIPPED, 0),
                "errors": stats.get(CrawlStat.ERRORS, 0),
                "parse_failures": stats.get(CrawlStat.PARSE_FAILURES, 0),
                "finish_reason": stats.get(CrawlStat.FINISH_REASON),
                "peak_rss_mb": usage.ru_maxrss / 1024,
                "cpu_s": usage.ru_utime + usage.ru_stime,
                "crawl_cpu_s": usage.ru_utime + usage.ru_stime - before.ru_utime - before.ru_stime,
            }
        )
    )


def run_crawl_process(config: Path, data: Path, concurrency: int, profile: str | None) -> dict[str, Any]:
    command = [sys.executable, __file__, "--child", str(config), str(data), "--concurrency", str(concurrency)]
    if profile:
        command += ["--profile", profile]
    done = subprocess.run(command, capture_output=True, text=True, cwd=REPO, timeout=3600)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        raise SystemExit(f"crawl failed ({done.returncode}):\n{done.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def write_config(target: Path, base_url: str, threads: int) -> None:
    target.mkdir(parents=True)
    for path in (REPO / "config" / "example").glob("*.yaml"):
        if path.name != "sources.yaml":
            shutil.copy(path, target / path.name)
    (target / "sources.yaml").write_text(
        f"""sources:
  - id: bench
    name: 基准论坛
    start_urls: ["{base_url}/list"]
    post_id_pattern: "/thread/(\\\\d+)"
    unit: county
    allow_private_addresses: true
    list:
      item: "li.post-item"
      url: "a.post-title::attr(href)"
      title: "a.post-title::text"
      published_at: "span.post-time::text"
      reply_count: "span.post-replies::text"
      next_page: "a.next-page::attr(href)"
      max_pages: {min(1000, -(-threads // PAGE) + 1)}
    thread:
      title: "h1.thread-title::text"
      content: "div.thread-content"
      published_at: "div.thread-meta span.time::text"
      author: "div.thread-meta span.author::text"
      reply_count: "div.thread-meta span.replies::text"
      view_count: "div.thread-meta span.views::text"
""",
        encoding="utf-8",
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--profile", help="write a cProfile of the full crawl here")
    parser.add_argument("--child", nargs=2, metavar=("CONFIG", "DATA"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        crawl_child(args.child[0], args.child[1], "bench", args.concurrency, args.profile)
        return 0

    if args.profile:
        args.profile = str(run_file(args.profile))
    ctx = multiprocessing.get_context("spawn")
    port_q, stop = ctx.Queue(), ctx.Event()
    board = ctx.Process(target=serve_board, args=(args.threads, port_q, stop), daemon=True)
    board.start()
    port = port_q.get(timeout=30)
    work = Path(tempfile.mkdtemp(prefix="yuqing-bench-crawl-"))
    try:
        write_config(work / "config", f"http://127.0.0.1:{port}", args.threads)
        board_started = time.perf_counter()
        full = run_crawl_process(work / "config", work / "data", args.concurrency, args.profile)
        again = run_crawl_process(work / "config", work / "data", args.concurrency, None)
        board_wall = time.perf_counter() - board_started
    finally:
        stop.set()
        board_cpu = port_q.get(timeout=30)
        board.join(timeout=10)
        shutil.rmtree(work, ignore_errors=True)

    print(f"crawl of a loopback board of {args.threads:,} threads ({PAGE} a list page), one crawl process, ")
    print(f"politeness off, CONCURRENT_REQUESTS={args.concurrency}\n")
    print(f"{'run':<22}{'requests':>9}{'responses':>10}{'stored':>8}{'seconds':>9}{'pages/s':>9}{'peak RSS MB':>12}")
    for name, r in (("full crawl", full), ("re-crawl, unchanged", again)):
        seconds = r["elapsed"] or r["wall"]
        print(
            f"{name:<22}{r['requests']:>9}{r['responses']:>10}{r['created']:>8}{seconds:>9.1f}"
            f"{r['responses'] / seconds:>9.0f}{r['peak_rss_mb']:>12.0f}"
        )
    print(
        f"\nfull crawl: {full['list_pages']} list pages, errors {full['errors']}, parse failures "
        f"{full['parse_failures']}, finish {full['finish_reason']}; the crawl process had the CPU for "
        f"{full['crawl_cpu_s']:.1f}s of its {full['wall']:.1f}s: {full['responses'] / full['crawl_cpu_s']:.0f} pages "
        "per CPU-second (its pages/s on a core of its own)"
    )
    print(
        f"re-crawl: {again['requests']} requests (robots.txt {again['robots']}, list pages {again['list_pages']}), "
        f"{again['known_skipped']} known posts skipped, {again['created']} stored"
    )
    print(f"board process CPU {board_cpu:.1f}s over {board_wall:.1f}s ({board_cpu / board_wall:.0%} of one core)")
    return 0


if __name__ == "__main__":
    if "--child" in sys.argv:  # the crawl process the bench starts: part of the parent's run
        sys.exit(main())
    with bench_run("crawl_throughput"):
        code = main()
    sys.exit(code)
