"""A loopback stand-in for an Elasticsearch 8 server, for request/response contract tests: it records every
request exactly as sent (method, path, query, headers, body) and answers with recorded ES 8 responses.

It does not search: each test says what the server answers, and checks what the client asked and how it read
the answer. (The behaviour against a real cluster is the contract suite's, with YUQING_TEST_ES_URL.)
"""

from __future__ import annotations

import json
import re
import threading
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

ES_INFO_8 = {  # GET / of elasticsearch 8.15.0 (docker image), as recorded
    "name": "es01",
    "cluster_name": "docker-cluster",
    "cluster_uuid": "Jm3hvRZMQ0ae2UV2nCmKDw",
    "version": {
        "number": "8.15.0",
        "build_flavor": "default",
        "build_type": "docker",
        "build_hash": "1a77947f34deddb41af25e6f0ddb8e830159c179",
        "build_date": "2024-08-05T10:05:34.233336849Z",
        "build_snapshot": False,
        "lucene_version": "9.11.1",
        "minimum_wire_compatibility_version": "7.17.0",
        "minimum_index_compatibility_version": "7.0.0",
    },
    "tagline": "You Know, for Search",
}
# GET / of Elasticsearch 7.10.2 (codelibs' elasticsearch-cluster-runner 7.10.2.0, Central's newest runner), as recorded;
# it answers without an X-Elastic-Product header.
ES_INFO_7_10 = {
    "name": "Node 1",
    "cluster_name": "yuqing-es-node",
    "cluster_uuid": "-2bx0nTBRF2prgcNao19ew",
    "version": {
        "number": "7.10.2",
        "build_flavor": "unknown",
        "build_type": "unknown",
        "build_hash": "747e1cc71def077253878a59143c1f785afa92b9",
        "build_date": "2021-01-13T00:42:12.435326Z",
        "build_snapshot": False,
        "lucene_version": "8.7.0",
        "minimum_wire_compatibility_version": "6.8.0",
        "minimum_index_compatibility_version": "6.0.0-beta1",
    },
    "tagline": "You Know, for Search",
}
ACK = {"acknowledged": True}


@dataclass
class Request:
    method: str
    path: str  # without the query string, percent-decoded
    raw_path: str  # as sent
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    raw: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.raw) if self.raw else None

    @property
    def ndjson(self) -> list[Any]:
        return [json.loads(line) for line in self.raw.decode().splitlines() if line.strip()]


Answer = tuple[int, Any]
Responder = Callable[[Request], Answer]


@dataclass
class StubElasticsearch:
    server: ThreadingHTTPServer
    requests: list[Request] = field(default_factory=list)
    routes: list[tuple[str, re.Pattern[str], Responder]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    product_header: bool = True  # servers before 7.14 send no X-Elastic-Product header

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        assert isinstance(host, str)  # a TCP server's host (bytes only for a Unix socket)
        return f"http://{host}:{port}"

    def on(self, method: str, path: str, answer: Answer | Responder | list[Answer]) -> None:
        """Answer `method path` (a regular expression matching the whole decoded path). A list is answered in
        turn (the last one again after that); the latest rule for a path wins."""
        responder: Responder
        if isinstance(answer, list):
            queue = list(answer)

            def responder(_request: Request) -> Answer:
                return queue.pop(0) if len(queue) > 1 else queue[0]

        elif isinstance(answer, tuple):
            fixed = answer

            def responder(_request: Request) -> Answer:
                return fixed

        else:
            responder = answer
        self.routes.insert(0, (method, re.compile(path), responder))

    def fresh_cluster(self, info: dict[str, Any] | None = None) -> None:
        """A new, empty 8.x cluster: no template, no alias, no meta index."""
        self.on("GET", "/", (200, info or ES_INFO_8))
        self.on("GET", "/_index_template/[^/]+", (404, _error(404, "resource_not_found_exception", "not found")))
        self.on("PUT", "/_ilm/policy/[^/]+", (200, ACK))
        self.on("PUT", "/_index_template/[^/]+", (200, ACK))
        self.on("HEAD", "/_alias/[^/]+", (404, None))
        self.on("HEAD", "/[^_].*", (404, None))
        self.on("PUT", "/[^_].*", lambda r: (200, {**ACK, "shards_acknowledged": True, "index": r.path[1:]}))

    def prepared_cluster(self) -> None:
        """A cluster where the store's template (current version), alias and meta index exist already."""
        from store.mentions.elastic_schema import IndexNames, index_template

        template = {
            "name": "yuqing-mentions",
            "index_template": index_template(IndexNames("yuqing"), shards=1, replicas=1),
        }
        self.on("GET", "/", (200, ES_INFO_8))
        self.on("GET", "/_index_template/yuqing-mentions", (200, {"index_templates": [template]}))
        self.on("HEAD", "/_alias/yuqing-mentions", (200, None))
        self.on("HEAD", "/yuqing-meta", (200, None))

    info = ES_INFO_8
    info_7_10 = ES_INFO_7_10

    @staticmethod
    def error(status: int, kind: str, reason: str) -> Answer:
        return status, _error(status, kind, reason)

    def take(self) -> list[Request]:
        with self.lock:
            taken, self.requests = self.requests, []
        return taken

    def answer(self, request: Request) -> Answer:
        with self.lock:
            self.requests.append(request)
            found = next(
                (r for m, p, r in self.routes if m == request.method and p.fullmatch(request.path)),
                None,
            )
        if found is None:
            return 500, _error(500, "stub_exception", f"no answer for {request.method} {request.path}")
        return found(request)


def _error(status: int, kind: str, reason: str) -> dict[str, Any]:
    cause = {"type": kind, "reason": reason}
    return {"error": {"root_cause": [cause], **cause}, "status": status}


def _handler(stub_ref: list[StubElasticsearch]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _serve(self) -> None:
            split = urllib.parse.urlsplit(self.path)
            length = int(self.headers.get("Content-Length", "0"))
            request = Request(
                method=self.command,
                path=urllib.parse.unquote(split.path),
                raw_path=split.path,
                query=dict(urllib.parse.parse_qsl(split.query, keep_blank_values=True)),
                headers={k.lower(): v for k, v in self.headers.items()},
                raw=self.rfile.read(length) if length else b"",
            )
            status, body = stub_ref[0].answer(request)
            payload = b"" if body is None else json.dumps(body).encode()
            self.send_response(status)
            if stub_ref[0].product_header:
                self.send_header("X-Elastic-Product", "Elasticsearch")
            self.send_header("Content-Type", "application/vnd.elasticsearch+json;compatible-with=8")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)

        do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _serve

    return Handler


@pytest.fixture
def stub_es() -> Iterator[StubElasticsearch]:
    ref: list[StubElasticsearch] = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(ref))
    server.daemon_threads = True
    stub = StubElasticsearch(server=server)
    ref.append(stub)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield stub
    server.shutdown()
    server.server_close()


# The real node's fixtures (es_node, usable_es_node) are in tests/conftest.py: the pipeline test uses them too.
