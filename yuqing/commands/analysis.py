"""`yuqing analyse` (texts at the desk) and `yuqing reanalyse` (stored posts after a scheme or model change)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from yuqing.commands import Command, SettingsOf, WithConfig


def cmd_analyse(args: argparse.Namespace, settings_of: SettingsOf) -> int:
    from analysis.analyser import Analyser
    from analysis.standalone import analyse_texts, json_lines
    from config import load_config
    from yuqing.heap import settle_heap

    settings = settings_of(args)
    config = load_config(settings.config_dir, secrets_file=settings.secrets_file)
    analyser = Analyser(config)
    settle_heap()  # as the service does: the analyser's tables out of every collection's walk
    if args.text is not None:
        texts: list[str] = [args.text]
    else:
        sys.stdin.reconfigure(errors="replace")  # type: ignore[union-attr]  # binary garbage: analysed, not fatal
        texts = [line.rstrip("\n") for line in sys.stdin]
    if args.json:
        for line in json_lines(config, texts, source=args.source, analyser=analyser):
            print(line)
        return 0
    for result in analyse_texts(config, texts, source=args.source, analyser=analyser):
        if "rejected" in result:
            print(f"第 {result['line']} 行：不分析（{result['rejected']}）")
        else:
            print(result["text"])
            print(f"  级别：{result['level_zh']}")
            for line in result["explanation"]:
                print(f"  {line}")
    return 0


def cmd_reanalyse(args: argparse.Namespace, settings_of: SettingsOf) -> int:
    from datetime import UTC, datetime, timedelta

    from yuqing.services import Services

    settings = settings_of(args)
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


def add_parsers(sub: argparse._SubParsersAction, with_config: WithConfig, settings_of: SettingsOf) -> None:
    def bind(command: Command) -> Callable[[argparse.Namespace], int]:
        return lambda args: command(args, settings_of)

    p = with_config(sub.add_parser("analyse", help="分析 --text 给出的文本，或标准输入中每行一段文本"))
    p.add_argument("--text", help="要分析的文本")
    p.add_argument("--json", action="store_true", help="以 JSON 输出")
    p.add_argument("--source", help="信源 id（按其权重计算风险等级）")
    p.set_defaults(func=bind(cmd_analyse))
    p = with_config(sub.add_parser("reanalyse", help="修改监测方案或模型后重新分析已存的帖子"))
    p.add_argument("--days", type=float, default=None, help="只分析最近 N 天发现的帖子")
    p.add_argument("--now", action="store_true", help="在本进程内分析，而不是交给运行中的服务")
    p.set_defaults(func=bind(cmd_reanalyse))
