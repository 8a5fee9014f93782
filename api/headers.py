"""Headers every response carries: no page of Yuqing may be framed by another site (clickjacking a 确认收到
or a logout button), whatever route made it. A route's own Content-Security-Policy gets frame-ancestors 'none'
added when it does not say it; a response without one gets just that."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

FRAME_CSP = (b"content-security-policy", b"frame-ancestors 'none'")
FRAME_OPTIONS = (b"x-frame-options", b"DENY")  # for browsers that predate frame-ancestors


class NoFraming:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = []
                framed = False
                for name, value in message.get("headers", []):
                    if name.lower() == FRAME_CSP[0]:
                        framed = True
                        if b"frame-ancestors" not in value:
                            value = value + b"; " + FRAME_CSP[1]
                    headers.append((name, value))
                names = {name.lower() for name, _ in headers}
                if not framed:
                    headers.append(FRAME_CSP)
                if FRAME_OPTIONS[0] not in names:
                    headers.append(FRAME_OPTIONS)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)
