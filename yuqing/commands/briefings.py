"""`yuqing briefing`: a 日报, 周报, 研判报告 or 事件专报 written to a file."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from yuqing.commands import Command, SettingsOf, WithConfig


def cmd_briefing(args: argparse.Namespace, settings_of: SettingsOf) -> int:
    from datetime import date

    from briefings.incident_report import IncidentNotFound
    from briefings.pdf import PdfUnavailable
    from briefings.service import (
        Format,
        default_period,
        incident_document,
        make_period,
        period_document,
    )
    from store.workflow.db import utcnow
    from yuqing.services import Services

    out = Path(args.out)
    fmt: Format = "pdf" if (args.format or out.suffix.lower().lstrip(".")) == "pdf" else "html"
    if args.kind == "incident" and args.incident is None:
        print("错误：请给出事件编号：yuqing briefing incident 编号 --out 文件", file=sys.stderr)
        return 2
    services = Services.load(settings_of(args))
    note = None
    try:
        stores = (services.mentions, services.sessions, services.config)
        if args.kind == "incident":
            document = incident_document(*stores, incident_id=args.incident, now=utcnow(), fmt=fmt)
        else:
            first = date.fromisoformat(args.first) if args.first else None
            last = date.fromisoformat(args.last) if args.last else None
            default = default_period(args.kind, services.config, utcnow())  # a 日报: today so far
            period = make_period(args.kind, first or default.first, last or default.last) if first or last else default
            document = period_document(*stores, period=period, unit_id=args.unit, now=utcnow(), fmt=fmt)
            if document.empty:
                note = f"注意：{period.label} 没有监测数据（0 条帖文、0 起事件），简报内容为空。"
    except (IncidentNotFound, PdfUnavailable, ValueError) as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 1
    finally:
        services.close()
    out.write_bytes(document.content)
    print(f"已写入 {out}（{len(document.content):,} 字节）")
    if note:
        print(note, file=sys.stderr)
    return 0


def add_parsers(sub: argparse._SubParsersAction, with_config: WithConfig, settings_of: SettingsOf) -> None:
    def bind(command: Command) -> Callable[[argparse.Namespace], int]:
        return lambda args: command(args, settings_of)

    p = with_config(sub.add_parser("briefing", help="生成简报（日报/周报/研判）或事件专报"))
    p.add_argument(
        "kind",
        choices=["daily", "weekly", "analysis", "incident"],
        help="daily 日报、weekly 周报、analysis 研判报告、incident 事件专报",
    )
    p.add_argument("incident", nargs="?", type=int, help="事件编号（专报）")
    p.add_argument("--date", "--start", "--first", dest="first", help="第一天（或唯一一天），北京时间，YYYY-MM-DD")
    p.add_argument("--last", help="研判报告的最后一天（含），北京时间")
    p.add_argument("--unit", help="单位 id：报告涵盖该单位及其下属单位（默认：全部）")
    p.add_argument("--format", choices=["html", "pdf"], help="html 或 pdf（默认：按文件扩展名）")
    p.add_argument("--out", required=True, help="输出文件")
    p.set_defaults(func=bind(cmd_briefing))
