"""A cap on a route's request body, checked before FastAPI reads and parses it: a 30 MB JSON body would be parsed
whole before any validator could refuse it. Too large is a 422 in FastAPI's validation-error shape."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute


def too_large(limit: int) -> JSONResponse:
    message = f"请求内容过大：最多 {limit // 1024} KB"
    return JSONResponse({"detail": [{"loc": ["body"], "msg": message, "type": "too_large"}]}, status_code=422)


def capped_route(limit: int) -> type[APIRoute]:
    """An APIRoute class whose handlers refuse a body over `limit` bytes (declared or streamed)."""

    class CappedRoute(APIRoute):
        def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
            handler = super().get_route_handler()

            async def capped(request: Request) -> Response:
                declared = request.headers.get("content-length")
                if declared is not None and (not declared.isdigit() or int(declared) > limit):
                    return too_large(limit)
                body = bytearray()
                async for chunk in request.stream():  # chunked: counted as it comes, never held past the cap
                    body += chunk
                    if len(body) > limit:
                        return too_large(limit)
                request._body = bytes(body)  # what FastAPI will parse: read once, here
                return await handler(request)

            return capped

    return CappedRoute
