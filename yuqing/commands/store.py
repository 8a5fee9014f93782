"""`yuqing store migrate`: the embedded mention store copied into Elasticsearch."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from yuqing.commands import Command, SettingsOf, WithConfig


def cmd_store_migrate(args: argparse.Namespace, settings_of: SettingsOf) -> int:
    """Copy the embedded store's mentions into Elasticsearch (the YUQING_ELASTICSEARCH_* settings)."""
    from store.mentions.elastic import ElasticMentionStore
    from store.mentions.factory import elastic_options
    from store.mentions.migrate import migrate_to_elasticsearch
    from store.workflow import make_engine, make_session_factory
    from store.workflow.migrate import upgrade

    settings = settings_of(args)
    source = Path(args.source) if args.source else settings.mentions_path
    upgrade(settings.workflow_url)  # the resume cursor lives in the workflow store
    engine = make_engine(settings.workflow_url)
    target = ElasticMentionStore(elastic_options(settings))
    try:

        def progress(copied: int, already: int) -> None:
            print(f"  已复制 {copied} 篇，{already} 篇原已存在", flush=True)

        print(f"正在把帖子从 {source} 复制到 Elasticsearch {target.url}（{target.names.alias}）")
        report = migrate_to_elasticsearch(
            sqlite_path=source,
            target=target,
            sessions=make_session_factory(engine),
            batch=args.batch,
            progress=progress,
        )
    finally:
        target.close()
        engine.dispose()
    print(
        f"完成：复制 {report.copied} 篇帖子，{report.already_there} 篇原已存在；分析序号从 {report.analysis_seq} "
        "之后继续。再次运行只复制此后新存的帖子。"
    )
    print("然后为每个进程设置 YUQING_MENTION_STORE=elasticsearch 并重启。")
    return 0


def add_parsers(sub: argparse._SubParsersAction, with_config: WithConfig, settings_of: SettingsOf) -> None:
    def bind(command: Command) -> Callable[[argparse.Namespace], int]:
        return lambda args: command(args, settings_of)

    store_cmd = sub.add_parser("store", help="管理帖子库")
    store_sub = store_cmd.add_subparsers(title="命令", metavar="命令", dest="store_command", required=True)
    p = with_config(store_sub.add_parser("migrate", help="把内置帖子库复制到 Elasticsearch（可断点续传）"))
    p.add_argument("--to", required=True, choices=["elasticsearch"], help="目标存储")
    p.add_argument("--from", dest="source", help="内置帖子库文件（默认：<数据目录>/mentions.sqlite3）")
    p.add_argument("--batch", type=int, default=500, help="每批写入的帖子数")
    p.set_defaults(func=bind(cmd_store_migrate))
