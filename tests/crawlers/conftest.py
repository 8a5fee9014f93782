"""The crawler tests' local sites: a mock site on 127.0.0.1 whose pages a test sets up (any status, headers,
encoding, delay or size), and the crawl command run as the scheduler runs it (one subprocess a crawl)."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest


@dataclass
class Page:
    status: int = 200
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    delay: float = 0.0  # seconds before answering: a slow board
    location: str | None = None  # for redirects


@dataclass
class MockSite:
    pages: dict[str, Page] = field(default_factory=dict)
    hits: list[str] = field(default_factory=list)
    url: str = ""

    def html(
        self, path: str, markup: str, *, charset: str = "utf-8", declare: str | None = "header", delay: float = 0.0
    ) -> None:
        """An HTML page in `charset`, declared in the HTTP header, in a <meta>, or (None) nowhere."""
        body = markup
        if declare == "meta":
            body = f'<html><head><meta charset="{charset}"></head><body>{markup}</body></html>'
        content_type = f"text/html; charset={charset}" if declare == "header" else "text/html"
        self.pages[path] = Page(
            body=body.encode(charset, errors="xmlcharrefreplace"), content_type=content_type, delay=delay
        )

    def raw(self, path: str, body: bytes, content_type: str = "text/html", **kwargs: Any) -> None:
        self.pages[path] = Page(body=body, content_type=content_type, **kwargs)

    def allow_all(self) -> None:
        self.raw("/robots.txt", b"User-agent: *\nAllow: /\n", "text/plain")

    def count(self, path: str) -> int:
        return sum(1 for hit in self.hits if hit == path)


@pytest.fixture
def mock_site() -> Iterator[MockSite]:
    state = MockSite()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            state.hits.append(self.path)
            page = state.pages.get(self.path, Page(404, b"not found", "text/plain"))
            if page.delay:
                time.sleep(page.delay)
            self.send_response(page.status)
            self.send_header("Content-Type", page.content_type)
            if page.location:
                self.send_header("Location", page.location)
            self.send_header("Content-Length", str(len(page.body)))
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the crawler cut an oversized page
                self.wfile.write(page.body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield state
    server.shutdown()
    server.server_close()


@dataclass
class Crawl:
    returncode: int
    summary: dict[str, Any]
    items: list[dict[str, Any]]
    log: str


def _crawl(config_dir: Path, data_dir: Path, source: str) -> Crawl:
    jsonl = data_dir / f"{source}.jsonl"
    data_dir.mkdir(parents=True, exist_ok=True)
    argv = ["crawl", source, "--config", str(config_dir), "--data", str(data_dir), "--jsonl", str(jsonl)]
    env = dict(os.environ)
    env.pop("YUQING_WORKFLOW_DB", None)
    out, err = data_dir / f"{source}.stdout", data_dir / f"{source}.stderr"
    returncode = _forked_cli(argv, env, out, err, timeout=180, scrapy_settings=TEST_PACE)
    stdout = out.read_text(encoding="utf-8", errors="replace")
    lines = [line for line in stdout.splitlines() if line.startswith("{")]
    items = [json.loads(x) for x in jsonl.read_text(encoding="utf-8").splitlines()] if jsonl.exists() else []
    log = err.read_text(encoding="utf-8", errors="replace")
    return Crawl(returncode, json.loads(lines[-1]) if lines else {}, items, log)


# Scrapy settings changed in the crawl's child process: AutoThrottle starts at the source's own pace instead of 1 s
# between requests, and a retry waits 0.1 s, not 2 s then 4 s. Those pauses were most of each crawl's wall time on
# a loopback site and no test here is about them (test_middlewares.py checks the backoff schedule); every request,
# retry and refusal still happens as in production.
TEST_PACE: dict[str, Any] = {"AUTOTHROTTLE_START_DELAY": 0.0, "YUQING_RETRY_BACKOFF": 0.1}


def _forked_cli(
    argv: list[str],
    env: dict[str, str],
    out: Path,
    err: Path,
    *,
    timeout: float,
    scrapy_settings: dict[str, Any] | None = None,
) -> int:
    """`yuqing ARGV` in a child forked from this process: the same command and the same one-crawl-per-process
    Scrapy reactor as the scheduler's subprocess, without a new interpreter importing Scrapy and loading jieba's
    dictionary for every crawl (seconds each under load). The scheduler's own subprocess is tested in
    tests/yuqing/test_crawl_jobs.py. `scrapy_settings` replace values of crawlers/settings.py in the child only."""
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        code = 1
        try:
            if scrapy_settings:
                import crawlers.settings

                for name, value in scrapy_settings.items():
                    assert hasattr(crawlers.settings, name) or name.startswith("YUQING_"), name
                    setattr(crawlers.settings, name, value)
            os.environ.clear()
            os.environ.update(env)
            for fd, path in ((1, out), (2, err)):
                target = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
                os.dup2(target, fd)
                os.close(target)
            sys.stdout = open(1, "w", encoding="utf-8", closefd=False)  # noqa: SIM115
            sys.stderr = open(2, "w", encoding="utf-8", closefd=False)  # noqa: SIM115
            root = logging.getLogger()
            for handler in list(root.handlers):  # pytest's capture handlers: the crawl logs to stderr instead
                root.removeHandler(handler)
            from yuqing.cli import main

            code = main(argv)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        except BaseException:
            traceback.print_exc()
        finally:
            with contextlib.suppress(Exception):
                sys.stdout.flush()
                sys.stderr.flush()
            os._exit(code)
    deadline = time.monotonic() + timeout
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            raise TimeoutError(f"yuqing {' '.join(argv)} still running after {timeout}s")
        time.sleep(0.05)


def _warm() -> None:
    """Import the crawl's modules and load jieba's dictionary once, before the first fork."""
    from crawlers.runner import run_crawl  # noqa: F401
    from store.tokens import tokenize
    from yuqing.cli import main  # noqa: F401

    tokenize("预热分词词典")


@pytest.fixture
def crawl() -> Callable[[Path, Path, str], Crawl]:
    """`crawl(config_dir, data_dir, source)`: `yuqing crawl SOURCE --jsonl …` in a forked child process."""
    _warm()
    return _crawl
