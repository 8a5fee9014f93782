"""The demo's notification inbox: a real receiver for Apprise's json:// notifications, shown as a page.

Every message is also appended to inbox.jsonl in the demo data directory, so it can be read as a file.
"""

from __future__ import annotations

import html
import json
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse

from config.models import BEIJING


def _beijing(iso: str) -> str:
    """Beijing time, as every time people read: 12-02 11:47:05."""
    return datetime.fromisoformat(iso).astimezone(BEIJING).strftime("%m-%d %H:%M:%S")


@dataclass(frozen=True)
class InboxMessage:
    recipient: str
    title: str
    body: str
    received_at: str


class Inbox:
    def __init__(
        self,
        path: Path | None,
        on_message: Callable[[InboxMessage], None] | None = None,
        names: dict[str, str] | None = None,
    ) -> None:
        """`names`: the inbox path of each channel → the channel's name, shown on the page."""
        self.path = path
        self.names = names or {}
        self.on_message = on_message
        self.messages: list[InboxMessage] = []
        self._lock = threading.Lock()

    def receive(self, recipient: str, payload: dict[str, Any]) -> InboxMessage:
        message = InboxMessage(
            recipient=recipient,
            title=str(payload.get("title", "")),
            body=str(payload.get("message", "")),
            received_at=datetime.now(UTC).isoformat(),
        )
        with self._lock:
            self.messages.append(message)
            if self.path is not None:
                with self.path.open("a", encoding="utf-8") as out:
                    out.write(json.dumps(asdict(message), ensure_ascii=False) + "\n")
        if self.on_message is not None:
            self.on_message(message)
        return message

    def router(self) -> APIRouter:
        router = APIRouter(prefix="/demo/inbox", include_in_schema=False)

        @router.post("/{recipient}")
        async def receive(recipient: str, request: Request) -> JSONResponse:
            try:
                payload = await request.json()
            except ValueError:
                return JSONResponse({"error": "body is not JSON"}, status_code=400)
            if not isinstance(payload, dict):
                return JSONResponse({"error": "body must be a JSON object"}, status_code=400)
            self.receive(recipient, payload)
            return JSONResponse({"ok": True})

        @router.get("", response_class=HTMLResponse)
        def page() -> HTMLResponse:
            with self._lock:
                rows = list(reversed(self.messages))
            items = (
                "".join(
                    f"<li><div class='meta'>{html.escape(_beijing(m.received_at))} → "
                    f"{html.escape(self.names.get(m.recipient, '演示收件人'))}</div>"
                    f"<b>{html.escape(m.title)}</b><pre class='explain'>{html.escape(m.body)}</pre></li>"
                    for m in rows
                )
                or "<p class='meta'>还没有通知。</p>"
            )
            return HTMLResponse(
                "<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'>"
                "<meta name='viewport' content='width=device-width, initial-scale=1'>"
                "<meta http-equiv='refresh' content='5'><title>通知收件箱（演示）</title>"
                "<link rel='stylesheet' href='/static/app.css'></head><body>"
                "<header><h1>通知收件箱（演示）</h1><nav><a href='/'>← 值班台</a></nav></header>"
                "<main><p class='meta'>短信、钉钉等渠道的通知在演示中送到这里，每 5 秒刷新。</p>"
                f"<section><ul class='feed'>{items}</ul></section></main></body></html>"
            )

        @router.get("/messages")
        def messages() -> list[dict[str, str]]:
            with self._lock:
                return [asdict(m) for m in self.messages]

        return router
