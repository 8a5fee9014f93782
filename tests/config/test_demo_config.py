"""The example configuration pointed elsewhere (config.demo.write_example_config), as the demo, the tests and
the benches write it: it loads, and names the given board, inbox and pace instead of the example's."""

from __future__ import annotations

from pathlib import Path

from config import load_config
from config.demo import EXAMPLE_BOARD, EXAMPLE_INBOX, write_example_config


def test_the_copy_points_at_the_given_board_inbox_and_pace(tmp_path: Path) -> None:
    target = write_example_config(
        tmp_path / "config",
        board_url="http://127.0.0.1:9999",
        inbox="json://127.0.0.1:9998/inbox",
        interval=42,
        download_delay=0.01,
    )
    written = "".join(p.read_text(encoding="utf-8") for p in target.glob("*.yaml"))
    assert EXAMPLE_BOARD not in written and EXAMPLE_INBOX not in written
    config = load_config(target)
    assert config.sources and all(s.start_urls[0].startswith("http://127.0.0.1:9999/") for s in config.sources)
    assert all(s.interval_seconds == 42 and s.download_delay == 0.01 for s in config.sources)
    inboxes = [c.url.get_secret_value() for c in config.channels if c.url.get_secret_value().startswith("json://")]
    assert inboxes and all(u.startswith("json://127.0.0.1:9998/inbox/") for u in inboxes)


def test_left_alone_it_is_the_example(tmp_path: Path) -> None:
    target = write_example_config(tmp_path / "config", board_url=EXAMPLE_BOARD)
    example = Path(__file__).resolve().parents[2] / "config" / "example"
    assert sorted(p.name for p in target.iterdir()) == sorted(p.name for p in example.glob("*.yaml"))
    for path in example.glob("*.yaml"):
        assert (target / path.name).read_text(encoding="utf-8") == path.read_text(encoding="utf-8")
