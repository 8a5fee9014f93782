"""Dashboard sign-in: the login page (CSRF-protected form), logout, and who am I.

The session cookie is HttpOnly and SameSite=Lax (Secure and `__Host-`-prefixed when the public URL is https);
the session's CSRF token lives with the session on the server and reaches the dashboard's script through
/api/v1/auth/me, never in a cookie another port of the host could read. The login form carries a
double-submit token (an HttpOnly cookie + hidden field), and login and logout refuse a request whose Origin is
another site or another port, so nobody else's page can sign a browser in or out."""

from __future__ import annotations

import html
import secrets
from typing import Annotated
from urllib.parse import parse_qs, quote

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel

from api.state import ApiState, get_state
from web.access import service
from web.access.deps import CSRF_COOKIE, CSRF_HEADER, SESSION_COOKIE, current_principal, resolve, same_origin
from web.access.roles import GRANTS
from web.access.scope import Principal

router = APIRouter(tags=["auth"])
LOGIN_CSRF_COOKIE = "yuqing_login_csrf"
MAX_FORM_BYTES = 8192


def _secure(state: ApiState) -> bool:
    return state.base_url.lower().startswith("https://")


def _login_cookie(state: ApiState) -> tuple[str, str]:
    """Name and path of the login form's cookie: under https `__Host-` (Secure, Path=/, no Domain), so no
    other origin of the host — another port, a subdomain, plain http — can set or replace it."""
    return ("__Host-" + LOGIN_CSRF_COOKIE, "/") if _secure(state) else (LOGIN_CSRF_COOKIE, "/login")


def safe_next(target: str | None) -> str:
    """Only a path on this site: an open redirect would make the login page a phishing aid."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _login_page(*, csrf: str, next_path: str, error: str | None, status: int, state: ApiState) -> HTMLResponse:
    message = f"<p class='error' role='alert'>{html.escape(error)}</p>" if error else ""
    page = HTMLResponse(
        "<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'><title>登录 · 舆情监测</title>"
        "<link rel='stylesheet' href='/static/app.css'></head><body>"
        "<header><h1>舆情监测 · 登录</h1></header><main><section class='login'>"
        f"{message}<form method='post' action='/login'>"
        f"<input type='hidden' name='csrf_token' value='{html.escape(csrf, quote=True)}'>"
        f"<input type='hidden' name='next' value='{html.escape(next_path, quote=True)}'>"
        "<label>用户名<input name='name' autocomplete='username' required autofocus></label>"
        "<label>密码<input name='password' type='password' autocomplete='current-password' required></label>"
        "<button type='submit'>登录</button></form></section></main></body></html>",
        status_code=status,
    )
    page.headers["Cache-Control"] = "no-store"
    name, path = _login_cookie(state)
    page.set_cookie(name, csrf, httponly=True, samesite="lax", secure=_secure(state), path=path, max_age=3600)
    return page


@router.get("/login", response_class=HTMLResponse, include_in_schema=False)
async def login_page(state: Annotated[ApiState, Depends(get_state)], next: str | None = None) -> HTMLResponse:
    return _login_page(csrf=secrets.token_urlsafe(32), next_path=safe_next(next), error=None, status=200, state=state)


def _form(raw: bytes) -> dict[str, str]:
    try:
        fields = parse_qs(raw.decode("utf-8"), keep_blank_values=True, max_num_fields=10)
    except (UnicodeDecodeError, ValueError):
        return {}
    return {k: v[0] for k, v in fields.items()}


@router.post("/login", response_class=HTMLResponse, include_in_schema=False)
async def login(request: Request, state: Annotated[ApiState, Depends(get_state)]) -> Response:
    raw = await request.body()
    form = _form(raw) if len(raw) <= MAX_FORM_BYTES else {}
    next_path = safe_next(form.get("next"))
    fresh = secrets.token_urlsafe(32)
    cookie_name, cookie_path = _login_cookie(state)
    forged = not same_origin(request, state)
    if forged or not service.csrf_matches(request.cookies.get(cookie_name), form.get("csrf_token")):
        return _login_page(csrf=fresh, next_path=next_path, error="页面已过期，请重新登录", status=403, state=state)
    address = request.client.host if request.client else "unknown"

    def attempt() -> tuple[Principal, str] | service.LoginRefused:
        try:  # each step commits its own transaction: a refusal is recorded too
            return service.login(
                state.sessions,
                config=state.config,
                name=form.get("name", ""),
                password=form.get("password", ""),
                address=address,
                now=state.now(),
            )
        except service.LoginRefused as exc:
            return exc

    outcome = await run_in_threadpool(attempt)
    if isinstance(outcome, service.LoginRefused):
        status = 429 if outcome.retry_after else 401
        page = _login_page(csrf=fresh, next_path=next_path, error=str(outcome), status=status, state=state)
        if outcome.retry_after:
            page.headers["Retry-After"] = str(outcome.retry_after)
        return page
    _principal, key = outcome
    response = RedirectResponse(next_path, status_code=303)
    secure = _secure(state)
    max_age = service.SESSION_HOURS * 3600
    response.set_cookie(SESSION_COOKIE, key, httponly=True, samesite="lax", secure=secure, max_age=max_age, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/", secure=secure, samesite="lax")  # set by older versions
    response.delete_cookie(cookie_name, path=cookie_path, secure=secure, httponly=True, samesite="lax")
    return response


@router.post("/logout", include_in_schema=False)
async def logout(request: Request, state: Annotated[ApiState, Depends(get_state)]) -> Response:
    """From the dashboard's form (csrf_token field) or its script (X-CSRF-Token header)."""
    cookie = request.cookies.get(SESSION_COOKIE)
    principal = await run_in_threadpool(resolve, state, token=None, cookie=cookie) if cookie else None
    if principal is not None:
        raw = await request.body()
        given = request.headers.get(CSRF_HEADER) or (
            _form(raw).get("csrf_token") if len(raw) <= MAX_FORM_BYTES else None
        )
        if not service.csrf_matches(principal.csrf_token, given) or not same_origin(request, state):
            raise HTTPException(403, "missing or wrong CSRF token")

        def end() -> None:
            with state.sessions.begin() as session:
                assert principal is not None and principal.session_id is not None
                service.logout(session, session_id=principal.session_id, actor=principal.actor, now=state.now())

        await run_in_threadpool(end)
    response = RedirectResponse("/login", status_code=303)
    secure = _secure(state)
    response.delete_cookie(SESSION_COOKIE, path="/", secure=secure, httponly=True, samesite="lax")
    response.delete_cookie(CSRF_COOKIE, path="/", secure=secure, samesite="lax")
    return response


class MeOut(BaseModel):
    name: str
    display_name: str
    role: str
    role_name: str
    unit: str | None
    unit_name: str | None
    units: list[str] | None
    permissions: list[str]
    via: str
    csrf_token: str | None


@router.get("/api/v1/auth/me", response_model=MeOut, tags=["auth"])
async def me(
    state: Annotated[ApiState, Depends(get_state)], principal: Annotated[Principal, Depends(current_principal)]
) -> MeOut:
    names = {u.id: u.name for u in state.config.units}
    return MeOut(
        name=principal.name,
        display_name=principal.display_name,
        role=principal.role.value,
        role_name=principal.role.zh,
        unit=principal.unit,
        unit_name=names.get(principal.unit) if principal.unit else None,
        units=sorted(principal.scope) if principal.scope is not None else None,
        permissions=sorted(p.value for p in GRANTS[principal.role]),
        via=principal.via,
        csrf_token=principal.csrf_token,
    )


def login_redirect(path: str) -> RedirectResponse:
    return RedirectResponse(f"/login?next={quote(path, safe='/')}", status_code=303)
