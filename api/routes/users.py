"""User administration for admins: users, roles, units, passwords, API tokens. Every change is audited.

A global admin (no unit) manages everyone; an admin with a unit manages only the users of its unit and the
units below it, and can grant no unit outside them (nor "every unit") — see docs/access.md."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Annotated, TypeVar

from fastapi import APIRouter, Depends, HTTPException, Path
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from api.state import ApiState, get_state
from web.access import service
from web.access.deps import require
from web.access.models import ApiToken, User
from web.access.passwords import WeakPassword
from web.access.roles import Perm, Role
from web.access.scope import Principal
from web.params import RowId, invalid

router = APIRouter(prefix="/api/v1/users", tags=["users"])
Admin = Annotated[Principal, Depends(require(Perm.USERS))]
UserName = Annotated[str, Path(min_length=1, max_length=64)]
T = TypeVar("T")


class UserOut(BaseModel):
    name: str
    display_name: str
    role: Role
    role_name: str
    unit: str | None
    disabled: bool
    created_at: datetime

    @classmethod
    def of(cls, u: User) -> UserOut:
        role = Role(u.role)
        return cls(
            name=u.name,
            display_name=u.display_name,
            role=role,
            role_name=role.zh,
            unit=u.unit,
            disabled=u.disabled_at is not None,
            created_at=u.created_at,
        )


class UserIn(BaseModel):
    name: str = Field(min_length=2, max_length=32, pattern=r"^[\w.@-]+$")
    role: Role
    unit: str | None = Field(default=None, max_length=100)
    display_name: str | None = Field(default=None, min_length=1, max_length=40)
    password: str | None = Field(default=None, max_length=1024, description="omit for a token-only account")


class UserPatch(BaseModel):
    role: Role | None = None
    unit: str | None = Field(default=None, max_length=100)
    clear_unit: bool = Field(default=False, description="make the user see every unit")
    display_name: str | None = Field(default=None, min_length=1, max_length=40)


class PasswordIn(BaseModel):
    password: str = Field(max_length=1024)


class TokenIn(BaseModel):
    label: str = Field(default="", max_length=100)
    days: int | None = Field(default=None, ge=1, le=3650, description="expires after this many days; default never")


class TokenOut(BaseModel):
    id: int
    prefix: str
    label: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked: bool

    @classmethod
    def of(cls, t: ApiToken) -> TokenOut:
        return cls(
            id=t.id,
            prefix=t.prefix,
            label=t.label,
            created_at=t.created_at,
            expires_at=t.expires_at,
            last_used_at=t.last_used_at,
            revoked=t.revoked_at is not None,
        )


class TokenCreatedOut(TokenOut):
    token: str = Field(description="shown only now; only its hash is stored")


def _run(state: ApiState, work: Callable[[Session], T]) -> T:
    try:
        with state.sessions.begin() as session:
            return work(session)
    except WeakPassword as exc:
        raise invalid(("body", "password"), str(exc), zh=exc.zh) from None
    except service.AccessError as exc:
        if exc.status == 422:
            raise invalid(("body",), str(exc), zh=exc.zh) from None
        raise HTTPException(exc.status, str(exc)) from None


@router.get("", response_model=list[UserOut])
async def list_users(state: Annotated[ApiState, Depends(get_state)], admin: Admin) -> list[UserOut]:
    return await run_in_threadpool(
        _run, state, lambda s: [UserOut.of(u) for u in service.list_users(s, within=admin.scope)]
    )


@router.post("", response_model=UserOut, status_code=201)
async def create_user(body: UserIn, state: Annotated[ApiState, Depends(get_state)], admin: Admin) -> UserOut:
    def work(session: Session) -> UserOut:
        return UserOut.of(
            service.create_user(
                session,
                config=state.config,
                name=body.name,
                role=body.role,
                unit=body.unit,
                password=body.password,
                display_name=body.display_name,
                actor=admin.actor,
                now=state.now(),
                within=admin.scope,
            )
        )

    return await run_in_threadpool(_run, state, work)


@router.patch("/{name}", response_model=UserOut)
async def update_user(
    name: UserName, body: UserPatch, state: Annotated[ApiState, Depends(get_state)], admin: Admin
) -> UserOut:
    def work(session: Session) -> UserOut:
        return UserOut.of(
            service.update_user(
                session,
                config=state.config,
                name=name,
                role=body.role,
                unit=body.unit,
                clear_unit=body.clear_unit,
                display_name=body.display_name,
                actor=admin.actor,
                now=state.now(),
                within=admin.scope,
            )
        )

    return await run_in_threadpool(_run, state, work)


async def _set_disabled(state: ApiState, admin: Principal, name: str, disabled: bool) -> UserOut:
    if disabled and name == admin.name:
        raise HTTPException(409, "you cannot disable your own account")

    def work(session: Session) -> UserOut:
        return UserOut.of(
            service.set_disabled(
                session, name=name, disabled=disabled, actor=admin.actor, now=state.now(), within=admin.scope
            )
        )

    return await run_in_threadpool(_run, state, work)


@router.post("/{name}/disable", response_model=UserOut)
async def disable_user(name: UserName, state: Annotated[ApiState, Depends(get_state)], admin: Admin) -> UserOut:
    """The user's sessions end at once and their tokens stop working."""
    return await _set_disabled(state, admin, name, True)


@router.post("/{name}/enable", response_model=UserOut)
async def enable_user(name: UserName, state: Annotated[ApiState, Depends(get_state)], admin: Admin) -> UserOut:
    return await _set_disabled(state, admin, name, False)


@router.post("/{name}/password", response_model=UserOut)
async def set_password(
    name: UserName, body: PasswordIn, state: Annotated[ApiState, Depends(get_state)], admin: Admin
) -> UserOut:
    def work(session: Session) -> UserOut:
        return UserOut.of(
            service.set_password(
                session, name=name, password=body.password, actor=admin.actor, now=state.now(), within=admin.scope
            )
        )

    return await run_in_threadpool(_run, state, work)


@router.get("/{name}/tokens", response_model=list[TokenOut])
async def list_tokens(name: UserName, state: Annotated[ApiState, Depends(get_state)], admin: Admin) -> list[TokenOut]:
    return await run_in_threadpool(
        _run, state, lambda s: [TokenOut.of(t) for t in service.tokens_of(s, name=name, within=admin.scope)]
    )


@router.post("/{name}/tokens", response_model=TokenCreatedOut, status_code=201)
async def issue_token(
    name: UserName, body: TokenIn, state: Annotated[ApiState, Depends(get_state)], admin: Admin
) -> TokenCreatedOut:
    def work(session: Session) -> TokenCreatedOut:
        token, secret = service.issue_token(
            session,
            name=name,
            label=body.label,
            expires_in=timedelta(days=body.days) if body.days else None,
            actor=admin.actor,
            now=state.now(),
            within=admin.scope,
        )
        return TokenCreatedOut(**TokenOut.of(token).model_dump(), token=secret)

    return await run_in_threadpool(_run, state, work)


@router.delete("/{name}/tokens/{token_id}", response_model=TokenOut)
async def revoke_token(
    name: UserName,
    token_id: RowId,
    state: Annotated[ApiState, Depends(get_state)],
    admin: Admin,
) -> TokenOut:
    def work(session: Session) -> TokenOut:
        return TokenOut.of(
            service.revoke_token(
                session, name=name, token_id=token_id, actor=admin.actor, now=state.now(), within=admin.scope
            )
        )

    return await run_in_threadpool(_run, state, work)
