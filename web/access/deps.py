"""FastAPI dependencies: who is asking (API token or dashboard session), CSRF for session requests, and the
permission a route needs. API token requests carry no cookie, so they cannot be forged cross-site and need no
CSRF token; a request riding on the session cookie must echo the session's token in X-CSRF-Token."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, HTTPException, Request, Security
from fastapi.concurrency import run_in_threadpool
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer
from starlette.datastructures import URL

from web.access import service
from web.access.roles import Perm
from web.access.scope import Principal
from web.state import WebState, get_web_state, workflow_engine

SESSION_COOKIE = "yuqing_session"
CSRF_COOKIE = "yuqing_csrf"  # no longer set (the script asks /api/v1/auth/me); cleared where it lingers
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}

bearer = HTTPBearer(auto_error=False, description="API token for scripts: `yuqing user token NAME`")
session_cookie = APIKeyCookie(
    name=SESSION_COOKIE, auto_error=False, description="dashboard session from /login (send X-CSRF-Token on POST)"
)


def _unauthorised(message: str) -> HTTPException:
    return HTTPException(401, message, headers={"WWW-Authenticate": "Bearer"})


def same_origin(request: Request, state: WebState) -> bool:
    """Whether a cookie-carrying request that changes something comes from our own pages. Cookies do not
    tell ports apart, so a page on another port of the same host is "same-site" (SameSite lets it through)
    but not same-origin: browsers say so in Origin (or Sec-Fetch-Site), and that is refused."""
    origin = request.headers.get("origin")
    if origin is None:
        return request.headers.get("sec-fetch-site", "same-origin") in ("same-origin", "none")
    public = URL(state.base_url)
    own = {f"{request.url.scheme}://{request.url.netloc}", f"{public.scheme}://{public.netloc}"}
    return origin.lower() in {o.lower() for o in own}


def resolve(state: WebState, *, token: str | None, cookie: str | None) -> Principal | None:
    # On an engine connection, not an ORM Session: the check is one Core select (and a rare UPDATE), and the
    # Session's begin, commit and close around it cost more than the select itself, on every request.
    with workflow_engine(state).begin() as connection:
        if token is not None:
            return service.token_principal(connection, config=state.config, secret=token, now=state.now())
        if cookie is not None:
            return service.session_principal(connection, config=state.config, key=cookie, now=state.now())
    return None


async def current_principal(
    request: Request,
    state: Annotated[WebState, Depends(get_web_state)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)],
    cookie: Annotated[str | None, Security(session_cookie)],
) -> Principal:
    token = credentials.credentials if credentials else None
    if token is None and cookie is None:
        raise _unauthorised("authentication required: an API token (Authorization: Bearer …) or a login session")
    principal = await run_in_threadpool(resolve, state, token=token, cookie=cookie)
    if principal is None:
        raise _unauthorised("invalid, expired or revoked credentials")
    forgeable = principal.via == "session" and request.method not in SAFE_METHODS
    if forgeable and not service.csrf_matches(principal.csrf_token, request.headers.get(CSRF_HEADER)):
        raise HTTPException(403, f"missing or wrong {CSRF_HEADER} header for a request with the session cookie")
    if forgeable and not same_origin(request, state):
        raise HTTPException(403, "请求来自其他网页（来源不符），已拒绝")
    request.state.principal = principal
    return principal


def require(perm: Perm) -> Callable[..., Awaitable[Principal]]:
    async def check(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
        if not principal.can(perm):
            raise HTTPException(403, f"the role {principal.role.value} may not do this ({perm.value})")
        return principal

    return check


def require_global(perm: Perm) -> Callable[..., Awaitable[Principal]]:
    """A change that reaches every unit (schemes apply everywhere): only a user with no unit may make it."""

    permitted = require(perm)

    # A default, not Annotated: the postponed annotation could not see `permitted` in this closure.
    async def check(principal: Principal = Depends(permitted)) -> Principal:  # noqa: B008
        if principal.scope is not None:
            raise HTTPException(403, "只有不限单位的管理员可以执行此操作（它影响所有单位）")
        return principal

    return check


Reader = Annotated[Principal, Depends(require(Perm.READ))]
