"""The push floor for bench/feed_clients.py: the least an SSE push can cost on the same stack (uvicorn,
Starlette's StreamingResponse, one asyncio loop) — no database, no access checks, no JSON of an incident. GET
/feed streams; POST /push sends its body to every open stream at once.

    python bench/push_floor.py PORT
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

queues: set[asyncio.Queue[str]] = set()


async def feed(request: Request) -> Response:
    queue: asyncio.Queue[str] = asyncio.Queue()
    queues.add(queue)

    async def events() -> AsyncIterator[str]:
        try:
            yield "event: hello\ndata: {}\n\n"
            while True:
                yield await queue.get()
        finally:
            queues.discard(queue)

    return StreamingResponse(events(), media_type="text/event-stream")


async def push(request: Request) -> Response:
    event_id = int((await request.body()).decode())
    message = f"id: {event_id}\nevent: incident\ndata: {{}}\n\n"
    for queue in list(queues):
        queue.put_nowait(message)
    return PlainTextResponse("ok")


async def healthz(request: Request) -> Response:
    return PlainTextResponse("ok")


def main() -> None:
    app = Starlette(routes=[Route("/feed", feed), Route("/push", push, methods=["POST"]), Route("/healthz", healthz)])
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")


if __name__ == "__main__":
    main()
