"""Concurrent searches: the API runs at most `search_slots` store searches at once in a process, the rest wait
(api.search.search_limiter), and every request is still answered."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import httpx

from store.mentions import NewMention


class CountingStore:
    """The store, with each search held a little and the most searches seen running at once counted."""

    def __init__(self, store: Any) -> None:
        self._store = store
        self._lock = threading.Lock()
        self.running = 0
        self.most = 0
        self.searches = 0

    def search(self, query: Any) -> Any:
        with self._lock:
            self.running += 1
            self.searches += 1
            self.most = max(self.most, self.running)
        try:
            time.sleep(0.05)  # a slow search: concurrent requests overlap
            return self._store.search(query)
        finally:
            with self._lock:
                self.running -= 1

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


def test_searches_at_once_are_bounded_and_all_answered(app_world: Any, user_token: Any) -> None:
    world = app_world()
    world.add_posts(
        [NewMention("demo-baixing", f"p{n}", f"http://b/t/p{n}", f"食堂问题{n}", "食堂饭菜变质") for n in range(5)],
        analyse=False,
    )
    store = CountingStore(world.store)
    app = world.app(mentions=store, search_slots=3)
    token = user_token(app.state.yuqing, "boss", "admin")

    async def run() -> list[int]:
        transport = httpx.ASGITransport(app=app)
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(transport=transport, base_url="http://yq", headers=headers) as client:
            requests = [client.get("/api/v1/mentions", params={"q": "食堂", "size": n + 1}) for n in range(12)]
            responses = await asyncio.gather(*requests)
        return [r.status_code for r in responses]

    assert asyncio.run(run()) == [200] * 12
    assert store.searches == 12
    assert store.most == 3  # never more than the slots, and the slots are used
