"""How much of the embedded store's file each pooled connection maps comes from the settings (docs/sizing.md):
RSS shows up to connections × this, so an operator can size it or turn it off."""

from __future__ import annotations

from pathlib import Path

import pytest

from config import Settings
from store.mentions.factory import open_mention_store
from store.mentions.sqlite import DEFAULT_MMAP_BYTES, SqliteMentionStore


def mapped_bytes(store: SqliteMentionStore) -> int:
    with store._connection() as conn:
        return int(conn.execute("PRAGMA mmap_size").fetchone()[0])


def test_the_store_maps_what_the_settings_say(tmp_path: Path) -> None:
    store = open_mention_store(Settings(config_dir=tmp_path, data_dir=tmp_path, sqlite_mmap_mb=64))
    assert isinstance(store, SqliteMentionStore)
    try:
        assert mapped_bytes(store) == 64 << 20
    finally:
        store.close()


def test_zero_turns_the_mapping_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("YUQING_SQLITE_MMAP_MB", "0")
    store = open_mention_store(Settings(config_dir=tmp_path, data_dir=tmp_path))
    assert isinstance(store, SqliteMentionStore)
    try:
        assert mapped_bytes(store) == 0
    finally:
        store.close()


def test_the_default_is_the_stores_own(tmp_path: Path) -> None:
    assert Settings(config_dir=tmp_path, data_dir=tmp_path).sqlite_mmap_mb << 20 == DEFAULT_MMAP_BYTES
    store = SqliteMentionStore(tmp_path / "mentions.sqlite3")
    try:
        assert mapped_bytes(store) == DEFAULT_MMAP_BYTES
    finally:
        store.close()


def test_a_negative_size_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="sqlite_mmap_mb"):
        Settings(config_dir=tmp_path, data_dir=tmp_path, sqlite_mmap_mb=-1)
