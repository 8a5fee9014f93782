"""`yuqing user …`: create users, issue API tokens, list, disable and enable, set passwords."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy.orm import Session

from store.workflow.db import utcnow
from web.access import service
from web.access.passwords import WeakPassword
from web.access.roles import Role
from yuqing.commands import SettingsOf, WithConfig
from yuqing.services import Services

CLI_ACTOR = "命令行"


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("密码：")
    if first != getpass.getpass("再次输入密码："):
        raise service.AccessError("the two passwords differ", zh="两次输入的密码不一致")
    return first


# What a command prints: (text, to stderr?). It is printed after the transaction commits, never inside it: a
# reader that stops early (`yuqing user token li | head -1`) must not roll back what was printed (a token shown
# but never stored).
Output = list[tuple[str, bool]]


def _run(
    args: argparse.Namespace,
    settings_of: SettingsOf,
    work: Callable[[Services, Session], Output],
) -> int:
    services = Services.load(settings_of(args))
    try:
        with services.sessions.begin() as session:
            output = work(services, session)
    except (service.AccessError, WeakPassword) as exc:
        print(f"错误：{exc.zh}", file=sys.stderr)
        return 2
    finally:
        services.close()
    try:
        for text, to_stderr in output:
            print(text, file=sys.stderr if to_stderr else sys.stdout, flush=True)
    except BrokenPipeError:  # the reader went away: what was done is saved; say so, and leave no traceback
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # Python flushes stdout again at exit
        print("输出中断（标准输出已关闭）：操作已保存", file=sys.stderr)
        return 1
    return 0


def cmd_user_add(args: argparse.Namespace, settings_of: SettingsOf) -> int:
    try:
        password = None if args.token_only else _password(args)
    except service.AccessError as exc:
        print(f"错误：{exc.zh}", file=sys.stderr)
        return 2

    def work(services: Services, session: Session) -> Output:
        user = service.create_user(
            session,
            config=services.config,
            name=args.name,
            role=Role(args.role),
            unit=args.unit,
            password=password,
            display_name=args.display_name,
            actor=CLI_ACTOR,
            now=utcnow(),
        )
        return [(f"已创建用户 {user.name}（{Role(user.role).zh}，单位：{user.unit or '全部'}）", False)]

    return _run(args, settings_of, work)


def cmd_user_token(args: argparse.Namespace, settings_of: SettingsOf) -> int:
    def work(services: Services, session: Session) -> Output:
        token, secret = service.issue_token(
            session,
            name=args.name,
            label=args.label or "",
            expires_in=timedelta(days=args.days) if args.days else None,
            actor=CLI_ACTOR,
            now=utcnow(),
        )
        return [(secret, False), (f"已为 {args.name} 生成令牌 {token.id}：只显示这一次，系统只保存其哈希", True)]

    return _run(args, settings_of, work)


def cmd_user_list(args: argparse.Namespace, settings_of: SettingsOf) -> int:
    def work(services: Services, session: Session) -> Output:
        units = {u.id: u.name for u in services.config.units}
        lines: Output = [("登录名\t姓名\t角色\t单位\t状态", False)]
        for user in service.list_users(session):
            state = "已停用" if user.disabled_at else "在用"
            unit = f"{units.get(user.unit, '已删除的单位')}（{user.unit}）" if user.unit else "全部单位"
            lines.append((f"{user.name}\t{user.display_name}\t{Role(user.role).zh}\t{unit}\t{state}", False))
        return lines

    return _run(args, settings_of, work)


def cmd_user_disable(args: argparse.Namespace, settings_of: SettingsOf) -> int:
    def work(services: Services, session: Session) -> Output:
        service.set_disabled(session, name=args.name, disabled=args.disable, actor=CLI_ACTOR, now=utcnow())
        return [(f"{args.name}：{'已停用' if args.disable else '已启用'}", False)]

    return _run(args, settings_of, work)


def cmd_user_password(args: argparse.Namespace, settings_of: SettingsOf) -> int:
    try:
        password = _password(args)
    except service.AccessError as exc:
        print(f"错误：{exc.zh}", file=sys.stderr)
        return 2

    def work(services: Services, session: Session) -> Output:
        service.set_password(session, name=args.name, password=password, actor=CLI_ACTOR, now=utcnow())
        return [(f"{args.name}：密码已设置；其已登录的会话均已结束", False)]

    return _run(args, settings_of, work)


def add_parsers(
    sub: argparse._SubParsersAction,
    with_config: WithConfig,
    settings_of: SettingsOf,
) -> None:
    user = sub.add_parser(
        "user", help="值班台和 API 的账号：add 新建、token 令牌、list 列表、disable 停用、enable 启用、password 改密码"
    )
    user_sub = user.add_subparsers(title="命令", metavar="命令", dest="user_command", required=True)

    def bind(
        command: Callable[[argparse.Namespace, SettingsOf], int],
    ) -> Callable[[argparse.Namespace], int]:
        return lambda args: command(args, settings_of)

    p = with_config(user_sub.add_parser("add", help="新建账号（会提示输入密码）"))
    p.add_argument("name", help="登录名")
    p.add_argument(
        "--role",
        required=True,
        choices=[r.value for r in Role],
        help="角色：commentator 网评员、secretary 书记、analyst 分析员、admin 管理员",
    )
    p.add_argument("--unit", help="单位 id（units.yaml）：账号可见该单位及其下属单位")
    p.add_argument("--display-name", help="在时间线等处显示的姓名（默认：登录名）")
    p.add_argument("--password-stdin", action="store_true", help="从标准输入的第一行读取密码")
    p.add_argument("--token-only", action="store_true", help="不设密码：供脚本使用的账号")
    p.set_defaults(func=bind(cmd_user_add))
    p = with_config(user_sub.add_parser("token", help="签发 API 令牌（只显示一次）"))
    p.add_argument("name", help="登录名")
    p.add_argument("--label", help="令牌用途")
    p.add_argument("--days", type=int, help="多少天后失效（默认：不失效）")
    p.set_defaults(func=bind(cmd_user_token))
    p = with_config(user_sub.add_parser("list", help="列出账号"))
    p.set_defaults(func=bind(cmd_user_list))
    for name, disable in (("disable", True), ("enable", False)):
        p = with_config(user_sub.add_parser(name, help="停用账号（同时结束其会话和令牌）" if disable else "启用账号"))
        p.add_argument("name", help="登录名")
        p.set_defaults(func=bind(cmd_user_disable), disable=disable)
    p = with_config(user_sub.add_parser("password", help="设置账号密码"))
    p.add_argument("name", help="登录名")
    p.add_argument("--password-stdin", action="store_true", help="从标准输入的第一行读取密码")
    p.set_defaults(func=bind(cmd_user_password))
