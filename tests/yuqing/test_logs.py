"""Log lines in Chinese: level names, and the libraries' routine English lines said in Chinese or left out."""

from __future__ import annotations

import logging

from yuqing.logs import ChineseFormatter, ChineseLibraryLines


def _record(name: str, level: int, msg: str) -> logging.LogRecord:
    return logging.LogRecord(name, level, __file__, 1, msg, None, None)


def test_levels_are_chinese_and_the_module_only_when_asked() -> None:
    line = ChineseFormatter().format(_record("yuqing.scheduler", logging.WARNING, "调度器已停止"))
    assert line.endswith(" 警告 调度器已停止") and "yuqing.scheduler" not in line
    verbose = ChineseFormatter(module=True).format(_record("yuqing.scheduler", logging.ERROR, "失去调度锁"))
    assert verbose.endswith(" 错误 yuqing.scheduler：失去调度锁")


def test_the_schedulers_skipped_run_is_no_warning_and_left_out_unless_verbose() -> None:
    text = (
        'Execution of job "Pipeline._crawl (trigger: interval[0:00:10], next run at: 2026-12-02 09:21:39 UTC)" '
        "skipped: maximum number of running instances reached (1)"
    )
    quiet, verbose = ChineseLibraryLines(logging.INFO), ChineseLibraryLines(logging.DEBUG)
    assert not quiet.filter(_record("apscheduler.scheduler", logging.WARNING, text))
    record = _record("apscheduler.scheduler", logging.WARNING, text)
    assert verbose.filter(record) and record.levelname == "DEBUG"
    assert record.getMessage() == "「抓取」上一轮还在进行，本轮跳过"


def test_migrations_and_missed_runs_are_said_in_chinese() -> None:
    keep = ChineseLibraryLines()
    upgrade = _record("alembic.runtime.migration", logging.INFO, "Running upgrade 0005 -> 0006, event keys: …")
    assert keep.filter(upgrade) and upgrade.getMessage() == "工作流数据库升级到第 0006 版"
    missed = _record(
        "apscheduler.executors.default",
        logging.WARNING,
        'Run time of job "Pipeline._analyse (trigger: interval[0:00:02])" was missed by 0:00:05.1',
    )
    assert keep.filter(missed) and missed.levelname == "WARNING"
    assert missed.getMessage() == "「分析」错过了预定时间（晚了 0:00:05.1），下一轮照常"
    ours = _record("yuqing.scheduler", logging.INFO, "调度器已启动，共 %d 项定时任务")
    assert keep.filter(ours) and ours.msg == "调度器已启动，共 %d 项定时任务"  # our own lines pass untouched


def test_scrapys_crawl_lines_are_said_in_chinese_and_its_start_up_narration_left_out() -> None:
    quiet, verbose = ChineseLibraryLines(logging.INFO), ChineseLibraryLines(logging.DEBUG)
    closing = _record("scrapy.core.engine", logging.INFO, "Closing spider (closespider_timeout)")
    assert quiet.filter(closing) and closing.getMessage() == "抓取结束（到达时限）"
    rate = _record(
        "scrapy.extensions.logstats",
        logging.INFO,
        "Crawled 12 pages (at 6 pages/min), scraped 30 items (at 15 items/min)",
    )
    assert quiet.filter(rate) and rate.getMessage() == "已抓取 12 个页面（每分钟 6 个），得到 30 条帖子"
    gave_up = _record(
        "scrapy.downloadermiddlewares.retry",
        logging.ERROR,
        "Gave up retrying <GET http://127.0.0.1:9/list> (failed 3 times): Connection was refused by other side",
    )
    assert quiet.filter(gave_up) and gave_up.levelname == "WARNING"
    assert gave_up.getMessage().startswith("下载 3 次均失败，放弃：http://127.0.0.1:9/list")
    for name, text in [
        ("scrapy.utils.log", "Scrapy 2.19.0 started (bot: yuqing)"),
        ("scrapy.middleware", "Enabled extensions:\n['scrapy.extensions.corestats.CoreStats']"),
        ("scrapy.crawler", "Overridden settings:\n{'BOT_NAME': 'yuqing'}"),
        ("scrapy.core.engine", "Spider closed (finished)"),
    ]:
        assert not quiet.filter(_record(name, logging.INFO, text)), text
        assert verbose.filter(_record(name, logging.INFO, text)), text  # --verbose shows everything
    deprecation = _record("py.warnings", logging.WARNING, "x.py:1: ScrapyDeprecationWarning: …")
    assert not quiet.filter(deprecation) and verbose.filter(deprecation)


def test_apprises_english_lines_are_left_out_unless_verbose() -> None:
    """A failed send is said once, in Chinese, by our sender; Apprise's line is only for --verbose."""
    text = "A Connection error occurred sending JSON notification to 127.0.0.1."
    quiet, verbose = ChineseLibraryLines(logging.INFO), ChineseLibraryLines(logging.DEBUG)
    assert not quiet.filter(_record("apprise", logging.WARNING, text))
    assert not quiet.filter(_record("apprise.plugins.json", logging.ERROR, text))
    assert verbose.filter(_record("apprise", logging.WARNING, text))
