"""Log lines as an operator reads them: Chinese level names, and the few English lines of the libraries the
service runs on (the scheduler's skipped runs, the database migrations, Scrapy's crawl) said in Chinese.

Our own modules log in Chinese; ids (sources, incidents, mentions) stay as they are, an operator looks them up.
`--verbose` adds each line's module, for whoever debugs the code."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

LEVELS = {"DEBUG": "调试", "INFO": "信息", "WARNING": "警告", "ERROR": "错误", "CRITICAL": "严重"}
# The scheduler's jobs (yuqing.scheduler.Pipeline) by what they do.
JOBS = {"crawl": "抓取", "analyse": "分析", "alert": "预警", "operations": "信源巡检", "brief": "简报"}

_SKIPPED = re.compile(r'^Execution of job "(?:\w+\.)?_?(\w+) .*" skipped: maximum number of running instances reached')
_MISSED = re.compile(r'^Run time of job "(?:\w+\.)?_?(\w+) .*" was missed by (.*)$')
_UPGRADE = re.compile(r"^Running upgrade (\S*) -> (\S+),")


def _job(name: str) -> str:
    return JOBS.get(name, name)


# Why Scrapy closed a crawl (its finish_reason).
CLOSE_REASONS = {
    "finished": "正常完成",
    "shutdown": "被中止",
    "cancelled": "被取消",
    "closespider_timeout": "到达时限",
    "closespider_itemcount": "到达条数上限",
    "closespider_pagecount": "到达页数上限",
    "closespider_errorcount": "错误过多",
}


def _closed(reason: str) -> str:
    return CLOSE_REASONS.get(reason, reason)


# (pattern, Chinese text, level it is worth): the libraries' lines an operator meets in a normal run.
_TRANSLATIONS: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str], int]] = [
    (_SKIPPED, lambda m: f"「{_job(m[1])}」上一轮还在进行，本轮跳过", logging.DEBUG),
    (_MISSED, lambda m: f"「{_job(m[1])}」错过了预定时间（晚了 {m[2]}），下一轮照常", logging.WARNING),
    (_UPGRADE, lambda m: f"工作流数据库升级到第 {m[2]} 版", logging.INFO),
    # Scrapy's engine and extensions (the lines about each page go through crawlers/logformat.py).
    (re.compile(r"^Spider opened$"), lambda m: "开始抓取", logging.INFO),
    (re.compile(r"^Closing spider \((\w+)\)$"), lambda m: f"抓取结束（{_closed(m[1])}）", logging.INFO),
    (
        re.compile(r"^Crawled (\d+) pages \(at (\d+) pages/min\), scraped (\d+) items \(at (\d+) items/min\)$"),
        lambda m: f"已抓取 {m[1]} 个页面（每分钟 {m[2]} 个），得到 {m[3]} 条帖子",
        logging.INFO,
    ),
    (
        re.compile(r"^Retrying <\w+ (\S+)> \(failed (\d+) times\): (.*)$", re.S),
        lambda m: f"第 {m[2]} 次下载失败，稍后重试：{m[1]}（{m[3]}）",
        logging.INFO,
    ),
    (
        re.compile(r"^Gave up retrying <\w+ (\S+)> \(failed (\d+) times\): (.*)$", re.S),
        lambda m: f"下载 {m[2]} 次均失败，放弃：{m[1]}（{m[3]}）",
        logging.WARNING,
    ),
    (
        re.compile(r"^Forbidden by robots\.txt: <\w+ (\S+)>$"),
        lambda m: f"robots.txt 不允许抓取：{m[1]}",
        logging.WARNING,
    ),
]
# Scrapy's start-up narration (versions, reactor, enabled components, overridden settings) and its closing lines
# already said above: below WARNING, an operator's log leaves out any other Scrapy line.
_LIBRARIES = ("apscheduler", "alembic", "scrapy")


class ChineseLibraryLines(logging.Filter):
    """Rewrites the libraries' known English lines in Chinese, at the level they are worth to an operator: a
    routine skipped run (the last one still going) is no warning, and below `level` it is left out."""

    def __init__(self, level: int = logging.INFO) -> None:
        super().__init__()
        self.level = level

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == "py.warnings" and "ScrapyDeprecationWarning" in str(record.msg):
            return self.level <= logging.DEBUG  # for whoever maintains the crawlers (--verbose), not an operator
        if record.name.startswith("apprise"):
            # The sender says each failed attempt in Chinese, naming the person, the channel and why
            # (alerting/delivery/sender.py); Apprise's own English lines are for whoever debugs a plugin.
            return self.level <= logging.DEBUG
        if not record.name.startswith(_LIBRARIES):
            return True
        text = record.getMessage()
        for pattern, say, level in _TRANSLATIONS:
            found = pattern.search(text)
            if found:
                record.msg, record.args = say(found), None
                record.levelno, record.levelname = level, logging.getLevelName(level)
                return level >= self.level
        if record.name.startswith("scrapy") and record.levelno < logging.WARNING:
            # Our own formatter's lines (crawlers/logformat.py) are Chinese; the rest is Scrapy narrating itself.
            verbose = self.level <= logging.DEBUG
            return record.levelno >= self.level and (record.name == "scrapy.core.scraper" or verbose)
        return True


class ChineseFormatter(logging.Formatter):
    """`2026-12-02 09:21:29 信息 调度器已启动…`; with `module`, the logger's name after the level."""

    def __init__(self, *, module: bool = False) -> None:
        where = " %(name)s：" if module else " "
        super().__init__(f"%(asctime)s %(zh_level)s{where}%(message)s", datefmt="%Y-%m-%d %H:%M:%S")

    def format(self, record: logging.LogRecord) -> str:
        record.zh_level = LEVELS.get(record.levelname, record.levelname)
        return super().format(record)


def configure(*, verbose: bool) -> None:
    """The CLI's logging: everything at INFO (DEBUG with --verbose) to stderr, in Chinese."""
    handler = logging.StreamHandler()
    handler.setFormatter(ChineseFormatter(module=verbose))
    handler.addFilter(ChineseLibraryLines(logging.DEBUG if verbose else logging.INFO))
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO, handlers=[handler])
    if not verbose:
        # Every job run and every sent message at INFO drowns what an operator needs to read; the migrations'
        # own chatter ("Context impl SQLiteImpl.") says nothing to them either.
        # WeasyPrint narrates each step of a PDF ("Step 6 - Creating PDF") and fontTools its font subsetting.
        for noisy in ("apscheduler", "apprise", "scrapy", "twisted", "py.warnings", "weasyprint", "fontTools"):
            logging.getLogger(noisy).setLevel(logging.WARNING)
        logging.getLogger("alembic.runtime.migration").addFilter(_only_upgrades)


def _only_upgrades(record: logging.LogRecord) -> bool:
    return record.levelno >= logging.WARNING or bool(_UPGRADE.search(record.getMessage()))
