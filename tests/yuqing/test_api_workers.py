"""`yuqing run --no-scheduler --workers 2`: two API processes over one data directory, on SQLite and on PostgreSQL.

Clients on many threads, each request on a new connection (so the kernel hands them to both workers), add notes
to one incident while others search and read it. Every note must be kept exactly once (no write lost between
processes, none refused as "database is locked"), every search must give the same answer whichever worker serves
it, and a post stored by another process must be in every later answer (neither worker serves a stale result
from its recent-search cache). Both workers must have served: each one's CPU time grows."""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select

from alerting.incidents.models import Incident, TimelineEntry
from store.mentions import NewMention

REPO = Path(__file__).resolve().parents[2]
THREADS = 8
ROUNDS = 12  # per thread: a note, a search and an incident page each round
POSTS = 30


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _request(port: int, method: str, path: str, token: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
    """One request on a connection of its own, closed after: the next one may reach the other worker."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        headers = {"Authorization": f"Bearer {token}", "Connection": "close"}
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        connection.request(method, path, body=payload, headers=headers)
        response = connection.getresponse()
        data = response.read()
        return response.status, json.loads(data) if data else None
    finally:
        connection.close()


def _workers(parent: int) -> list[int]:
    """uvicorn's worker processes: the children of the server started by multiprocessing's spawn."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            command = (entry / "cmdline").read_bytes()
        except (OSError, IndexError, ValueError):
            continue
        if ppid == parent and b"spawn_main" in command:
            found.append(int(entry.name))
    return sorted(found)


def _cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _search(port: int, token: str) -> tuple[int, tuple[str, ...]]:
    status, body = _request(port, "GET", "/api/v1/mentions?" + urlencode({"q": "食堂", "size": 50}), token)
    assert status == 200, body
    return body["total"], tuple(hit["id"] for hit in body["hits"])


@pytest.mark.slow
def test_two_workers_lose_no_write_and_answer_alike(app_world: Any, workflow_url: str, user_token: Any) -> None:
    world = app_world(workflow_url=workflow_url)
    now = datetime.now(UTC)
    world.add_posts(
        NewMention("demo-baixing", f"p{n}", f"http://board/t/p{n}", f"学校食堂问题{n}", f"学校食堂饭菜变质（{n}）")
        for n in range(POSTS)
    )
    with world.sessions.begin() as session:
        incident = Incident(
            case_key="workers",
            first_mention_id="demo-baixing:p0",
            title="食堂",
            url="http://board/t/p0",
            source="demo-baixing",
            unit="county",
            level=3,
            stage="analyse",
            schemes="",
            explanation="",
            discovered_at=now,
            report_due_at=now + timedelta(minutes=30),
            opened_at=now,
            mention_count=1,
        )
        session.add(incident)
        session.flush()
        incident_id = incident.id
    token = user_token(world, "boss", "admin")
    port = _free_port()
    env = {**world.services.subprocess_env(), "YUQING_API_HOST": "127.0.0.1", "YUQING_API_PORT": str(port)}
    command = [sys.executable, "-m", "yuqing", "run", "--no-scheduler", "--workers", "2"]
    server = subprocess.Popen(command, env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, server.stderr.read().decode()[-2000:] if server.stderr else ""
            try:
                if _request(port, "GET", "/healthz", token)[0] == 200 and len(_workers(server.pid)) == 2:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "the API with two workers did not start within 60 s"
            time.sleep(0.2)
        workers = _workers(server.pid)
        cpu = {pid: _cpu(pid) for pid in workers}

        def client(n: int) -> list[tuple[int, tuple[str, ...]]]:
            answers = []
            for r in range(ROUNDS):
                status, body = _request(
                    port, "POST", f"/api/v1/incidents/{incident_id}/notes", token, {"text": f"线程{n}第{r}条"}
                )
                assert status == 200, body
                answers.append(_search(port, token))
                status, body = _request(port, "GET", f"/api/v1/incidents/{incident_id}", token)
                assert status == 200, body
            return answers

        with ThreadPoolExecutor(THREADS) as pool:
            answers = [a for found in pool.map(client, range(THREADS)) for a in found]
        assert Counter(answers) == {answers[0]: THREADS * ROUNDS}  # the same answer from both workers, every time
        assert answers[0][0] == POSTS

        # A post stored by another process (a crawl): each later search sees it, whichever worker answers.
        world.store.upsert_many(
            [NewMention("demo-baixing", "late", "http://board/t/late", "学校食堂又出问题", "学校食堂饭菜变质")]
        )
        with ThreadPoolExecutor(THREADS) as pool:
            later = list(pool.map(lambda _: _search(port, token)[0], range(THREADS * 4)))
        assert later == [POSTS + 1] * len(later)
        for pid in workers:  # both served (~300 requests of a few ms CPU each between them)
            assert _cpu(pid) - cpu[pid] >= 0.05, f"worker {pid} served (almost) nothing"

        status, page = _request(port, "GET", f"/api/v1/incidents/{incident_id}", token)
        assert status == 200
        notes = Counter(t["detail"] for t in page["timeline"] if t["action"] == "note")
        expected = {f"备注：线程{n}第{r}条" for n in range(THREADS) for r in range(ROUNDS)}
        assert set(notes) == expected and set(notes.values()) == {1}
        with world.sessions() as session:
            stored = session.scalar(
                select(func.count())
                .select_from(TimelineEntry)
                .where(TimelineEntry.incident_id == incident_id, TimelineEntry.action == "note")
            )
        assert stored == THREADS * ROUNDS
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
