"""`yuqing schemes evaluate`: the configured schemes against a file of graded posts (see analysis/scheme_eval.py)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from analysis.scheme_eval import LabelError, evaluate, read_labels, read_texts, render
from config import load_config
from yuqing.commands import SettingsOf, WithConfig


def _lines(path: str) -> list[str]:
    try:
        return Path(path).read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError:
        raise LabelError(0, "（文件）", f"{path} 不是 UTF-8 文本") from None


def cmd_evaluate(args: argparse.Namespace, settings_of: SettingsOf) -> int:
    settings = settings_of(args)
    config = load_config(settings.config_dir, secrets_file=settings.secrets_file)
    schemes = config.schemes
    if args.scheme:
        missing = sorted(set(args.scheme) - {s.id for s in schemes})
        if missing:
            print(f"错误：配置中没有方案 {'、'.join(missing)}", file=sys.stderr)
            return 2
        schemes = [s for s in schemes if s.id in args.scheme]
    try:
        texts = read_texts(_lines(args.texts)) if args.texts else None
    except LabelError as exc:
        print(f"文本文件 {args.texts} 有误：{exc}", file=sys.stderr)
        return 2
    try:
        posts = read_labels(_lines(args.labels), texts)
    except LabelError as exc:
        print(f"标注文件 {args.labels} 有误：{exc}", file=sys.stderr)
        return 2
    report = evaluate(schemes, posts, show=args.show)
    if args.json:
        print(json.dumps(report.as_dict(), ensure_ascii=False, indent=1))
    else:
        print(render(report))
    return 0


def add_parsers(
    sub: argparse._SubParsersAction,  # the CLI's own parser class
    with_config: WithConfig,
    settings_of: SettingsOf,
) -> None:
    schemes = sub.add_parser("schemes", help="监测方案：evaluate 用已研判的帖子评估")
    schemes_sub = schemes.add_subparsers(title="命令", metavar="命令", dest="schemes_command", required=True)
    p = with_config(
        schemes_sub.add_parser(
            "evaluate",
            help="按方案、专题和级别统计监测方案在已研判帖子上的查准率和查全率，列出漏报和误报",
        )
    )
    p.add_argument("--labels", required=True, help="已研判的帖子：每行一个 JSON，格式同研判指南")
    p.add_argument("--texts", help="帖子正文：每行 {id, text}，供不带正文的研判行使用")
    p.add_argument("--scheme", action="append", help="只评估此方案（可重复）")
    p.add_argument("--show", type=int, default=10, help="每个方案和级别列出的漏报和误报条数")
    p.add_argument("--json", action="store_true", help="以 JSON 输出报告")
    p.set_defaults(func=lambda args: cmd_evaluate(args, settings_of))
