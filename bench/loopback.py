"""A notification receiver on 127.0.0.1 for the benchmarks: records when each Apprise json:// message arrives."""

from __future__ import annotations

import json
import shutil
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


def receiver() -> tuple[ThreadingHTTPServer, list[tuple[float, dict[str, Any]]]]:
    received: list[tuple[float, dict[str, Any]]] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            received.append((time.time(), json.loads(body)))
            self.send_response(200)
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, received


def config_to_receiver(example: Path, target: Path, port: int) -> Path:
    """The example configuration at `target` without sources (the bench stores the posts itself) and with its
    channels sending to the loopback receiver on `port` instead of the demo inbox."""
    shutil.copytree(example, target)
    (target / "sources.yaml").write_text("sources: []\n", encoding="utf-8")
    channels = target / "channels.yaml"
    channels.write_text(
        channels.read_text(encoding="utf-8").replace(
            "json://127.0.0.1:8600/demo/inbox", f"json://127.0.0.1:{port}/inbox"
        ),
        encoding="utf-8",
    )
    return target
