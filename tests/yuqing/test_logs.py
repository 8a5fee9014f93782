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
