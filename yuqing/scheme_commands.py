"""`yuqing schemes evaluate`: the configured schemes against a file of graded posts (see analysis/scheme_eval.py)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

from analysis.scheme_eval import LabelError, evaluate, read_labels, read_texts, render
from config import Settings, load_config

SettingsOf = Callable[[argparse.Namespace], Settings]


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
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
    with_config: Callable[..., argparse.ArgumentParser],
    settings_of: SettingsOf,
) -> None:
    schemes = sub.add_parser("schemes", help="work on monitoring schemes")
    schemes_sub = schemes.add_subparsers(dest="schemes_command", required=True)
    p = with_config(
        schemes_sub.add_parser(
            "evaluate",
            help="precision and recall of the configured schemes on graded posts, per scheme and per level",
        )
    )
    p.add_argument("--labels", required=True, help="graded posts, JSON lines in the labelling guide's format")
    p.add_argument("--texts", help="JSON lines {id, text} for graded lines that carry no text")
    p.add_argument("--scheme", action="append", help="only this scheme id (repeatable)")
    p.add_argument("--show", type=int, default=10, help="misses and false alarms listed per scheme and level")
    p.add_argument("--json", action="store_true", help="the report as JSON")
    p.set_defaults(func=lambda args: cmd_evaluate(args, settings_of))
