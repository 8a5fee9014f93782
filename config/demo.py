"""The shipped example configuration (config/example/) and a copy of it pointed elsewhere: at a given sample board,
notification inbox and crawl pace. The demo, the tests and the benches write their configuration through this one
function, so a change to the example's addresses is made here once."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

EXAMPLE_BOARD = "http://127.0.0.1:8601"  # the sample board the example's sources crawl
EXAMPLE_INBOX = "json://127.0.0.1:8600/demo/inbox"  # the inbox the example's json:// channels post to
EXAMPLE_INTERVAL = "interval_seconds: 10"  # each example source's crawl interval


def example_config_dir() -> Path:
    """The example configuration shipped in the package."""
    here = Path(str(resources.files("config"))) / "example"
    if not here.is_dir():
        raise FileNotFoundError(f"example configuration not found at {here}")
    return here


def write_example_config(
    target: Path,
    *,
    board_url: str,
    inbox: str | None = None,
    interval: int | None = None,
    download_delay: float | None = None,
) -> Path:
    """The example's YAML files written to `target`, its sources on `board_url`; `inbox` replaces the example's
    json:// inbox address (each channel's own path stays after it), `interval` each source's crawl interval and
    `download_delay` each source's pause between requests."""
    target.mkdir(parents=True, exist_ok=True)
    for path in sorted(example_config_dir().glob("*.yaml")):
        text = path.read_text(encoding="utf-8").replace(EXAMPLE_BOARD, board_url)
        if inbox is not None:
            text = text.replace(EXAMPLE_INBOX, inbox)
        if interval is not None:
            text = text.replace(EXAMPLE_INTERVAL, f"interval_seconds: {interval}")
        if download_delay is not None and path.name == "sources.yaml":
            text = re.sub(
                r"^(    interval_seconds: .*)$", rf"\1\n    download_delay: {download_delay}", text, flags=re.M
            )
        (target / path.name).write_text(text, encoding="utf-8")
    return target
