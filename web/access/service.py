"""Access service functions (keyword-only): users, tokens, logins with rate limits, sessions. Every change is
written to the audit log in the caller's transaction."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Connection, Row, Table, bindparam, delete, func, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session, sessionmaker

from config import Config
from store.workflow.audit import record_audit
from web.access import passwords
from web.access.models import ApiToken, AuthSession, LoginFailure, User
from web.access.roles import Role
from web.access.scope import Principal, unit_scope

NAME = re.compile(r"^[\w.@-]{2,32}$")
TOKEN_PREFIX = "yq_"
SESSION_HOURS = 12
# Touching last_seen/last_used on every request would be a write per request; this often is enough.
TOUCH_EVERY = timedelta(minutes=5)


@dataclass(frozen=True)
class LoginLimits:
    """Failed logins counted over `window`: at `per_name` for one login name, or `per_address` from one client
    address, further attempts are refused without checking the password until the oldest failure leaves the
    window (the lockout)."""

    window: timedelta = timedelta(minutes=15)
    per_name: int = 5
    per_address: int = 20


class AccessError(Exception):
    """A refused access change (invalid input). The message is the API's machine detail; `zh` is what a person
    reads (the CLI prints it, the API adds it as its Chinese message); a message already in Chinese is both."""

    status = 422

    def __init__(self, message: str, *, zh: str | None = None) -> None:
        super().__init__(message)
        self.zh = zh or message


class NotFound(AccessError):
    status = 404


class Conflict(AccessError):
    status = 409


class Forbidden(AccessError):
    """A unit-scoped admin reaching outside its own units (see docs/access.md, "Who manages whom")."""

    status = 403


# Units a manager may act on: None for a global admin (and the CLI), else the scoped admin's subtree.
Within = frozenset[str] | None


def _manages(within: Within, unit: str | None) -> bool:
    return within is None or (unit is not None and unit in within)


class LoginRefused(Exception):
    def __init__(self, message: str, *, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _check_unit(config: Config, unit: str | None) -> None:
    if unit is not None and unit not in {u.id for u in config.units}:
        raise AccessError(
            f"unknown unit {unit!r}; units are: {', '.join(u.id for u in config.units)}",
            zh=f"units.yaml 中没有单位 {unit}；可用的单位：{'、'.join(f'{u.id}（{u.name}）' for u in config.units)}",
        )


def get_user(session: Session, *, name: str) -> User | None:
    return session.scalar(select(User).where(User.name == name))


def list_users(session: Session, *, within: Within = None) -> list[User]:
    query = select(User).order_by(User.name)
    if within is not None:
        query = query.where(User.unit.in_(sorted(within)))
    return list(session.scalars(query))


def create_user(
    session: Session,
    *,
    config: Config,
    name: str,
    role: Role,
    unit: str | None,
    password: str | None,
    display_name: str | None,
    actor: str,
    now: datetime,
    within: Within = None,
) -> User:
    if not NAME.match(name):
        raise AccessError(
            "a login name is 2–32 letters, digits, '.', '_', '@' or '-'",
            zh="登录名须为 2–32 个字母、数字或 . _ @ - 符号",
        )
    display = (display_name or name).strip()
    if not display or len(display) > 40:
        raise AccessError("display name must have 1–40 characters", zh="显示名须为 1–40 个字符")
    _check_unit(config, unit)
    if not _manages(within, unit):
        raise Forbidden("单位管理员只能在本单位及下级单位内添加用户，且必须指定单位")
    if role in (Role.COMMENTATOR, Role.SECRETARY) and unit is None:
        raise AccessError(
            f"a {role.value} needs --unit: the unit whose cases they handle",
            zh=f"{role.zh}须指定单位（--unit）：其负责处置的单位",
        )
    if get_user(session, name=name) is not None:
        raise Conflict(f"user {name!r} exists", zh=f"用户 {name} 已存在")
    user = User(
        name=name,
        display_name=display,
        role=role.value,
        unit=unit,
        password_hash=passwords.hash_password(password) if password is not None else None,
        created_at=now,
    )
    session.add(user)
    session.flush()
    record_audit(
        session,
        actor=actor,
        action="user.create",
        target=f"user:{name}",
        detail={"role": role.value, "unit": unit, "password": password is not None},
        at=now,
    )
    return user


def _require_user(session: Session, name: str, within: Within = None) -> User:
    user = get_user(session, name=name)
    if user is None or not _manages(within, user.unit):  # outside a scoped admin's units: not even its existence
        raise NotFound(f"no user {name!r}", zh=f"没有用户 {name}")
    return user


def set_password(
    session: Session, *, name: str, password: str, actor: str, now: datetime, within: Within = None
) -> User:
    user = _require_user(session, name, within)
    user.password_hash = passwords.hash_password(password)
    # A new password ends every open session of the user: whoever had the old one is out.
    session.execute(delete(AuthSession).where(AuthSession.user_id == user.id))
    record_audit(session, actor=actor, action="user.password", target=f"user:{name}", at=now)
    return user


def set_disabled(
    session: Session, *, name: str, disabled: bool, actor: str, now: datetime, within: Within = None
) -> User:
    user = _require_user(session, name, within)
    user.disabled_at = now if disabled else None
    if disabled:
        session.execute(delete(AuthSession).where(AuthSession.user_id == user.id))
    record_audit(
        session, actor=actor, action="user.disable" if disabled else "user.enable", target=f"user:{name}", at=now
    )
    return user


def update_user(
    session: Session,
    *,
    config: Config,
    name: str,
    role: Role | None,
    unit: str | None,
    clear_unit: bool,
    display_name: str | None,
    actor: str,
    now: datetime,
    within: Within = None,
) -> User:
    user = _require_user(session, name, within)
    changes: dict[str, object] = {}
    if role is not None and role.value != user.role:
        changes["role"] = role.value
        user.role = role.value
    if clear_unit or unit is not None:
        new_unit = None if clear_unit else unit
        _check_unit(config, new_unit)
        if not _manages(within, new_unit):
            raise Forbidden("单位管理员只能把用户调到本单位及下级单位，不能设为全部单位")
        if new_unit != user.unit:
            changes["unit"] = new_unit
            user.unit = new_unit
    if display_name is not None and display_name.strip() != user.display_name:
        if not 1 <= len(display_name.strip()) <= 40:
            raise AccessError("display name must have 1–40 characters", zh="显示名须为 1–40 个字符")
        changes["display_name"] = user.display_name = display_name.strip()
    if Role(user.role) in (Role.COMMENTATOR, Role.SECRETARY) and user.unit is None:
        raise AccessError(f"a {user.role} needs a unit", zh=f"{Role(user.role).zh}须指定单位")
    if changes:
        record_audit(session, actor=actor, action="user.update", target=f"user:{name}", detail=changes, at=now)
    return user


def issue_token(
    session: Session,
    *,
    name: str,
    label: str,
    expires_in: timedelta | None,
    actor: str,
    now: datetime,
    within: Within = None,
) -> tuple[ApiToken, str]:
    """A new API token for `name`; the secret is returned here once and only its hash is stored."""
    user = _require_user(session, name, within)
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        token_hash=_digest(secret),
        prefix=secret[:10],
        user_id=user.id,
        label=label[:100],
        created_at=now,
        expires_at=now + expires_in if expires_in else None,
    )
    session.add(token)
    session.flush()
    record_audit(
        session,
        actor=actor,
        action="token.create",
        target=f"user:{name}",
        detail={"token": token.id, "prefix": token.prefix, "label": token.label},
        at=now,
    )
    return token, secret


def tokens_of(session: Session, *, name: str, within: Within = None) -> list[ApiToken]:
    user = _require_user(session, name, within)
    return list(session.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id)))


def revoke_token(
    session: Session, *, name: str, token_id: int, actor: str, now: datetime, within: Within = None
) -> ApiToken:
    user = _require_user(session, name, within)
    token = session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise NotFound(f"user {name!r} has no token {token_id}", zh=f"用户 {name} 没有编号为 {token_id} 的令牌")
    if token.revoked_at is None:
        token.revoked_at = now
        record_audit(
            session, actor=actor, action="token.revoke", target=f"user:{name}", detail={"token": token_id}, at=now
        )
    return token


def principal_of(user: User, *, config: Config, via: str, session_row: AuthSession | None = None) -> Principal:
    return Principal(
        user_id=user.id,
        name=user.name,
        display_name=user.display_name,
        role=Role(user.role),
        unit=user.unit,
        scope=unit_scope(config, user.unit),
        via="session" if via == "session" else "token",
        session_id=session_row.id if session_row else None,
        csrf_token=session_row.csrf_token if session_row else None,
    )


# Every request resolves its credentials: one Core statement of the columns needed (the user joined), no ORM
# objects, and an UPDATE only when the last-used time is due (TOUCH_EVERY).
_TOKENS = cast(Table, ApiToken.__table__)
_SESSIONS = cast(Table, AuthSession.__table__)
_TOKEN = _TOKENS.c
_SESSION = _SESSIONS.c
_USER = User.__table__.c
_USER_COLUMNS = (_USER.id, _USER.name, _USER.display_name, _USER.role, _USER.unit, _USER.disabled_at)
# Built once (SQLAlchemy works out a statement object's cache key once): a request binds only its digest.
_BY_TOKEN = (
    select(*_USER_COLUMNS, _TOKEN.id, _TOKEN.revoked_at, _TOKEN.expires_at, _TOKEN.last_used_at)
    .join_from(_TOKENS, User.__table__, _USER.id == _TOKEN.user_id)
    .where(_TOKEN.token_hash == bindparam("digest"))
)
_BY_SESSION = (
    select(*_USER_COLUMNS, _SESSION.id, _SESSION.expires_at, _SESSION.last_seen_at, _SESSION.csrf_token)
    .join_from(_SESSIONS, User.__table__, _USER.id == _SESSION.user_id)
    .where(_SESSION.key_hash == bindparam("digest"))
)


def _principal(
    config: Config, user: Row[Any], *, via: str, session_id: int | None = None, csrf_token: str | None = None
) -> Principal:
    user_id, name, display_name, role, unit = user[:5]
    return Principal(
        user_id=user_id,
        name=name,
        display_name=display_name,
        role=Role(role),
        unit=unit,
        scope=unit_scope(config, unit),
        via="session" if via == "session" else "token",
        session_id=session_id,
        csrf_token=csrf_token,
    )


def token_principal(session: Session | Connection, *, config: Config, secret: str, now: datetime) -> Principal | None:
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    row = session.execute(_BY_TOKEN, {"digest": _digest(secret)}).first()
    if row is None:
        return None
    disabled_at, token_id, revoked_at, expires_at, last_used_at = row[5:]
    if revoked_at is not None or (expires_at is not None and expires_at <= now) or disabled_at is not None:
        return None
    if last_used_at is None or now - last_used_at > TOUCH_EVERY:
        session.execute(update(_TOKENS).where(_TOKEN.id == token_id).values(last_used_at=now))
    return _principal(config, row, via="token")


def session_principal(session: Session | Connection, *, config: Config, key: str, now: datetime) -> Principal | None:
    if len(key) > 200:
        return None
    row = session.execute(_BY_SESSION, {"digest": _digest(key)}).first()
    if row is None:
        return None
    disabled_at, session_id, expires_at, last_seen_at, csrf_token = row[5:]
    if expires_at <= now or disabled_at is not None:
        return None
    if now - last_seen_at > TOUCH_EVERY:
        session.execute(update(_SESSIONS).where(_SESSION.id == session_id).values(last_seen_at=now))
    return _principal(config, row, via="session", session_id=session_id, csrf_token=csrf_token)


def _failures(
    session: Session, column: InstrumentedAttribute[str], value: str, since: datetime
) -> tuple[int, datetime | None]:
    count, oldest = session.execute(
        select(func.count(LoginFailure.id), func.min(LoginFailure.at)).where(column == value, LoginFailure.at > since)
    ).one()
    return int(count), oldest


def _serialise_login(session: Session, name: str, address: str) -> None:
    """Make counting and recording an attempt one step for this name and address, across threads, workers and
    hosts: concurrent wrong passwords must not all read the same count before any of them is written."""
    if session.get_bind().dialect.name == "postgresql":
        # Transaction-scoped advisory locks, always name before address (one order: no deadlock).
        for key in (f"login-name:{name}", f"login-address:{address}"):
            session.execute(select(func.pg_advisory_xact_lock(func.hashtext(key))))
    # SQLite has one writer at a time: this write (made first, whatever it deletes) holds the database's write
    # lock until the attempt is recorded and committed.


def _reserve_attempt(
    sessions: sessionmaker[Session], *, name: str, address: str, now: datetime, limits: LoginLimits
) -> tuple[str | None, bool]:
    """Count the failures in the window and, under the limits, record this attempt as a failure before the
    password is checked (a success removes it). Returns the user's password hash and whether the user may sign
    in at all."""
    since = now - limits.window
    with sessions.begin() as session:
        _serialise_login(session, name, address)
        session.execute(delete(LoginFailure).where(LoginFailure.at <= since))  # keep the table small
        for column, value, limit in (
            (LoginFailure.name, name, limits.per_name),
            (LoginFailure.address, address, limits.per_address),
        ):
            count, oldest = _failures(session, column, value, since)
            if count >= limit and oldest is not None:
                wait = max(1, int((oldest + limits.window - now).total_seconds()) + 1)
                # Not audited: a refused attempt changes nothing, and logging each would let a flood fill the log.
                raise LoginRefused("登录失败次数过多，请稍后再试", retry_after=wait)
        session.add(LoginFailure(at=now, name=name, address=address))
        user = get_user(session, name=name)
        hashed = user.password_hash if user is not None else None
        return hashed, user is not None and user.disabled_at is None


def login(
    sessions: sessionmaker[Session],
    *,
    config: Config,
    name: str,
    password: str,
    address: str,
    now: datetime,
    limits: LoginLimits = LoginLimits(),
) -> tuple[Principal, str]:
    """Check the password under the rate limits and open a session. Returns the principal and the session
    key for the cookie (only its hash is stored). Raises LoginRefused (with Retry-After when locked out).

    Three short transactions: reserve the attempt (counted at once, so parallel guesses cannot all pass the
    limit), check the password outside any lock (Argon2 is slow on purpose), then record the outcome."""
    name = name.strip()[:64]
    hashed, active = _reserve_attempt(sessions, name=name, address=address, now=now, limits=limits)
    ok = False
    if hashed is None:
        passwords.burn_time()
    else:
        ok = passwords.verify_password(hashed, password)
    if not ok or not active:
        with sessions.begin() as session:  # the reserved attempt stays as the failure
            record_audit(session, actor=name or "?", action="login.fail", target=f"address:{address}", at=now)
        raise LoginRefused("用户名或密码错误，或账号已停用")
    with sessions.begin() as session:
        user = get_user(session, name=name)
        if user is None or user.disabled_at is not None:  # disabled (or removed) while the password was checked
            raise LoginRefused("用户名或密码错误，或账号已停用")
        if passwords.needs_rehash(user.password_hash or ""):
            user.password_hash = passwords.hash_password(password)
        session.execute(delete(LoginFailure).where(LoginFailure.name == name))  # this attempt's reservation too
        key = secrets.token_urlsafe(32)
        row = AuthSession(
            key_hash=_digest(key),
            user_id=user.id,
            csrf_token=secrets.token_urlsafe(32),
            created_at=now,
            last_seen_at=now,
            expires_at=now + timedelta(hours=SESSION_HOURS),
            address=address[:100],
        )
        session.add(row)
        session.execute(delete(AuthSession).where(AuthSession.expires_at <= now))
        session.flush()
        record_audit(
            session, actor=user.name, action="login", target=f"user:{user.name}", detail={"address": address}, at=now
        )
        return principal_of(user, config=config, via="session", session_row=row), key


def logout(session: Session, *, session_id: int, actor: str, now: datetime) -> None:
    row = session.get(AuthSession, session_id)
    if row is not None:
        session.delete(row)
        record_audit(session, actor=actor, action="logout", target=f"user:{row.user.name}", at=now)


def csrf_matches(expected: str | None, given: str | None) -> bool:
    return bool(expected) and bool(given) and hmac.compare_digest(str(expected), str(given))
