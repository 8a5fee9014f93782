"""argparse in Chinese: usage, section titles, -h, and its own error messages (what an operator reads)."""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterable
from typing import Any, NoReturn

_ERRORS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^the following arguments are required: (.*)$"), r"缺少参数：\1"),
    (re.compile(r"^argument (\S+): invalid choice: (.*) \(choose from (.*)\)$"), r"参数 \1 的取值 \2 无效，可选：\3"),
    (re.compile(r"^argument (\S+): invalid (\w+) value: (.*)$"), r"参数 \1 的值 \3 无效（应为数字）"),
    (re.compile(r"^argument (\S+): expected one argument$"), r"参数 \1 需要一个值"),
    (re.compile(r"^argument (\S+): not allowed with argument (\S+)$"), r"参数 \1 不能与 \2 同时使用"),
    (re.compile(r"^unrecognized arguments: (.*)$"), r"无法识别的参数：\1"),
]


def zh_error(message: str) -> str:
    for pattern, replacement in _ERRORS:
        if pattern.match(message):
            return pattern.sub(replacement, message)
    return message


class ZhHelpFormatter(argparse.HelpFormatter):
    def add_usage(
        self,
        usage: str | None,
        actions: Iterable[argparse.Action],
        groups: Iterable[argparse._MutuallyExclusiveGroup],
        prefix: str | None = None,
    ) -> None:
        super().add_usage(usage, actions, groups, prefix if prefix is not None else "用法：")


class ZhArgumentParser(argparse.ArgumentParser):
    """An ArgumentParser that speaks Chinese; its subcommands' parsers are of the same class."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", ZhHelpFormatter)
        kwargs["add_help"] = False
        super().__init__(*args, **kwargs)
        self._positionals.title = "参数"
        self._optionals.title = "选项"
        self.add_argument("-h", "--help", action="help", default=argparse.SUPPRESS, help="显示本帮助并退出")

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}：错误：{zh_error(message)}\n")
