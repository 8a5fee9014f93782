"""Log lines as an operator reads them: Chinese level names, and the few English lines of the libraries the
service runs on (the scheduler's skipped runs, the database migrations) said in Chinese.

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


# (pattern, Chinese text, level it is worth): the libraries' lines an operator meets in a normal run.
_TRANSLATIONS: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str], int]] = [
    (_SKIPPED, lambda m: f"「{_job(m[1])}」上一轮还在进行，本轮跳过", logging.DEBUG),
    (_MISSED, lambda m: f"「{_job(m[1])}」错过了预定时间（晚了 {m[2]}），下一轮照常", logging.WARNING),
    (_UPGRADE, lambda m: f"工作流数据库升级到第 {m[2]} 版", logging.INFO),
]


class ChineseLibraryLines(logging.Filter):
    """Rewrites the libraries' known English lines in Chinese, at the level they are worth to an operator: a
    routine skipped run (the last one still going) is no warning, and below `level` it is left out."""

    def __init__(self, level: int = logging.INFO) -> None:
        super().__init__()
        self.level = level

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.name.startswith(("apscheduler", "alembic")):
            return True
        text = record.getMessage()
        for pattern, say, level in _TRANSLATIONS:
            found = pattern.search(text)
            if found:
                record.msg, record.args = say(found), None
                record.levelno, record.levelname = level, logging.getLevelName(level)
                return level >= self.level
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
