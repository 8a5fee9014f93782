"""Errors in Chinese. The API keeps its machine shape (`detail`, as FastAPI writes it) and adds `message`, a
Chinese sentence for people; a browser asking for a dashboard path gets a Chinese HTML page instead of JSON."""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from alerting.incidents import service as incidents

log = logging.getLogger(__name__)

_BY_STATUS = {
    400: "请求有误",
    401: "请先登录",
    403: "无权执行此操作",
    404: "未找到该页面或记录",
    405: "不支持该请求方式",
    409: "操作与当前状态冲突",
    413: "请求内容过大",
    422: "提交的内容有误",
    429: "操作过于频繁，请稍后再试",
    500: "服务器内部错误，请稍后重试或联系管理员",
    503: "服务暂时不可用，请稍后再试",
}
# The domain's typed errors and the status each is answered with: the one place a route's refusal becomes HTTP
# (the message, already Chinese, is the detail). The most specific class listed for an error wins.
DOMAIN_STATUS: dict[type[Exception], int] = {
    incidents.NotFound: 404,
    incidents.Conflict: 409,
}


def domain_status(exc: Exception) -> int | None:
    """The HTTP status of a typed domain error, or None for anything else."""
    for cls in type(exc).__mro__:
        if cls in DOMAIN_STATUS:
            return DOMAIN_STATUS[cls]
    return None


# Known English details (routes speak to programs) and what a person reads instead.
_KNOWN: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^incident not found$"), "未找到该事件：它不存在，或不在您的管辖单位内"),
    (re.compile(r"^mention not found$"), "未找到该帖子"),
    (re.compile(r"^no such event$"), "未找到该舆情事件"),
    (re.compile(r"^Not Found$"), "未找到该页面或记录"),
    (re.compile(r"CSRF"), "页面已过期，请刷新后重试"),
    (re.compile(r"outside your units"), "超出您的管辖单位"),
    (re.compile(r"^the role \S+ may not do this"), "您的角色无权执行此操作"),
    (re.compile(r"^this task is for the role"), "该任务由其他角色负责"),
    (re.compile(r"^unit .* not found$"), "未找到该单位"),
    (re.compile(r"^no scheme "), "未找到该监测方案"),
    (re.compile(r"^scheme .* exists"), "该监测方案已存在，请在原方案上修改"),
    (re.compile(r"cannot disable your own account"), "不能停用自己的账号"),
]


def chinese_message(status: int, detail: Any) -> str:
    """The Chinese sentence for an error: a 422's own `zh` texts, a known detail, else the status's meaning."""
    if isinstance(detail, list):
        texts = [str(d["zh"]) for d in detail if isinstance(d, dict) and d.get("zh")]
        if texts:
            return "；".join(texts)
        fields = [
            ".".join(str(part) for part in d.get("loc", [])[1:]) for d in detail if isinstance(d, dict) and d.get("loc")
        ]
        fields = [f for f in fields if f]
        base = _BY_STATUS.get(status, "请求未能完成")
        return f"{base}：请检查 {'、'.join(dict.fromkeys(fields))}" if fields else base
    if isinstance(detail, str):
        if re.search(r"[\u4e00-\u9fff]", detail):
            return detail  # already Chinese
        for pattern, text in _KNOWN:
            if pattern.search(detail):
                return text
    return _BY_STATUS.get(status, "请求未能完成")


def _wants_page(request: Request) -> bool:
    """A browser asking for something outside the API gets a page, not JSON."""
    path = request.url.path
    if path.startswith(("/api/", "/demo/inbox/", "/docs", "/redoc", "/openapi")):
        return False
    return "text/html" in request.headers.get("accept", "")


def error_page(status: int, message: str) -> HTMLResponse:
    title = {404: "页面不存在", 422: "地址有误", 500: "服务器出错"}.get(status, "无法完成请求")
    body = (
        "<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{title} · 舆情值班台</title><link rel='stylesheet' href='/static/app.css'></head><body>"
        f"<header><h1>{title}</h1></header><main><section>"
        f"<p class='status error'>{html.escape(message)}</p>"
        "<p><a href='/'>返回值班台</a> · <a href='/search'>检索分析</a></p>"
        "</section></main></body></html>"
    )
    return HTMLResponse(body, status_code=status)


def _answer(request: Request, status: int, detail: Any, headers: Mapping[str, str] | None = None) -> Response:
    message = chinese_message(status, detail)
    if _wants_page(request):
        if status == 422:  # a page address that does not parse (/incidents/abc) is a page that does not exist
            status, message = 404, _BY_STATUS[404]
        page = error_page(status, message)
        page.headers["Cache-Control"] = "no-store"
        return page
    return JSONResponse(
        {"detail": jsonable_encoder(detail), "message": message},
        status_code=status,
        headers=dict(headers or {}) or None,
    )


def install(app: FastAPI) -> None:
    """Register the handlers on the app (HTTP errors, validation errors, anything unexpected)."""

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if exc.status_code < 400:
            return Response(status_code=exc.status_code, headers=exc.headers)
        return _answer(request, exc.status_code, exc.detail, exc.headers)

    async def validation_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        return _answer(request, 422, exc.errors())

    async def domain_error(request: Request, exc: Exception) -> Response:
        status = domain_status(exc)
        if status is None:  # a domain error nobody gave a status: a bug, answered and logged as one
            return await unexpected(request, exc)
        return _answer(request, status, str(exc))

    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("处理 %s 时发生未预料的错误", request.url.path)
        return _answer(request, 500, "Internal Server Error")

    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    for domain in DOMAIN_STATUS:
        app.add_exception_handler(domain, domain_error)
    app.add_exception_handler(Exception, unexpected)
