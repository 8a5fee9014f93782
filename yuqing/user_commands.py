"""`yuqing user …`: create users, issue API tokens, list, disable and enable, set passwords."""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar

from sqlalchemy.orm import Session

from api.access import service
from api.access.passwords import WeakPassword
from api.access.roles import Role
from config import Settings
from store.workflow.db import utcnow
from yuqing.services import Services

CLI_ACTOR = "命令行"
SettingsOf = Callable[[argparse.Namespace], Settings]
T = TypeVar("T")


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("密码 / password: ")
    if first != getpass.getpass("再次输入 / again: "):
        raise service.AccessError("the two passwords differ")
    return first


def _run(
    args: argparse.Namespace,
    settings_of: SettingsOf,
    work: Callable[[Services, Session], T],
) -> int:
    services = Services.load(settings_of(args))
    try:
        with services.sessions.begin() as session:
            work(services, session)
    except (service.AccessError, WeakPassword) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        services.close()
    return 0


def cmd_user_add(args: argparse.Namespace, settings_of: SettingsOf) -> int:
    try:
        password = None if args.token_only else _password(args)
    except service.AccessError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    def work(services: Services, session: Session) -> None:
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
        print(f"created {user.name} ({Role(user.role).zh}, unit: {user.unit or 'all'})")

    return _run(args, settings_of, work)


def cmd_user_token(args: argparse.Namespace, settings_of: SettingsOf) -> int:
    def work(services: Services, session: Session) -> None:
        token, secret = service.issue_token(
            session,
            name=args.name,
            label=args.label or "",
            expires_in=timedelta(days=args.days) if args.days else None,
            actor=CLI_ACTOR,
            now=utcnow(),
        )
        print(secret)
        print(f"token {token.id} for {args.name}: shown once, only its hash is stored", file=sys.stderr)

    return _run(args, settings_of, work)


def cmd_user_list(args: argparse.Namespace, settings_of: SettingsOf) -> int:
    def work(services: Services, session: Session) -> None:
        for user in service.list_users(session):
            state = "disabled" if user.disabled_at else "active"
            print(f"{user.name}\t{user.display_name}\t{user.role}\t{user.unit or '*'}\t{state}")

    return _run(args, settings_of, work)


def cmd_user_disable(args: argparse.Namespace, settings_of: SettingsOf) -> int:
    def work(services: Services, session: Session) -> None:
        service.set_disabled(session, name=args.name, disabled=args.disable, actor=CLI_ACTOR, now=utcnow())
        print(f"{args.name}: {'disabled' if args.disable else 'enabled'}")

    return _run(args, settings_of, work)


def cmd_user_password(args: argparse.Namespace, settings_of: SettingsOf) -> int:
    try:
        password = _password(args)
    except service.AccessError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    def work(services: Services, session: Session) -> None:
        service.set_password(session, name=args.name, password=password, actor=CLI_ACTOR, now=utcnow())
        print(f"{args.name}: password set; their open sessions have ended")

    return _run(args, settings_of, work)


def add_parsers(
    sub: argparse._SubParsersAction,
    with_config: Callable[[argparse.ArgumentParser], argparse.ArgumentParser],
    settings_of: SettingsOf,
) -> None:
    user = sub.add_parser("user", help="users of the dashboard and API: add, token, list, disable, enable, password")
    user_sub = user.add_subparsers(dest="user_command", required=True)

    def bind(
        command: Callable[[argparse.Namespace, SettingsOf], int],
    ) -> Callable[[argparse.Namespace], int]:
        return lambda args: command(args, settings_of)

    p = with_config(user_sub.add_parser("add", help="create a user (the password is asked for)"))
    p.add_argument("name", help="login name")
    p.add_argument("--role", required=True, choices=[r.value for r in Role])
    p.add_argument("--unit", help="unit id from units.yaml: the user sees this unit and those below it")
    p.add_argument("--display-name", help="the name shown in timelines (default: the login name)")
    p.add_argument("--password-stdin", action="store_true", help="read the password from the first line of stdin")
    p.add_argument("--token-only", action="store_true", help="no password: an account for scripts")
    p.set_defaults(func=bind(cmd_user_add))
    p = with_config(user_sub.add_parser("token", help="issue an API token (printed once)"))
    p.add_argument("name")
    p.add_argument("--label", help="what the token is for")
    p.add_argument("--days", type=int, help="expires after this many days (default: never)")
    p.set_defaults(func=bind(cmd_user_token))
    p = with_config(user_sub.add_parser("list", help="list users"))
    p.set_defaults(func=bind(cmd_user_list))
    for name, disable in (("disable", True), ("enable", False)):
        p = with_config(user_sub.add_parser(name, help=f"{name} a user (disabling ends their sessions and tokens)"))
        p.add_argument("name")
        p.set_defaults(func=bind(cmd_user_disable), disable=disable)
    p = with_config(user_sub.add_parser("password", help="set a user's password"))
    p.add_argument("name")
    p.add_argument("--password-stdin", action="store_true")
    p.set_defaults(func=bind(cmd_user_password))
