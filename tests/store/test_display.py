"""Crawled text as shown: no bidi overrides or invisible characters (the stored text keeps them)."""

from __future__ import annotations

import pytest

from store.display import shown


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("试测\u202egnp.exe", "试测gnp.exe"),  # RLO: would read "试测exe.png"
        ("\u202a左\u202b右\u202c", "左右"),  # embeddings and their pop
        ("\u2066隔离\u2067\u2068\u2069", "隔离"),  # isolates
        ("城\u200b关\u200c一\u200d中", "城关一中"),  # zero-width space, non-joiner, joiner
        ("\ufeff标题\u2060", "标题"),  # BOM, word joiner
        ("\u200e\u200f\u061c", ""),  # direction marks
        ("普通标题 ABC 123", "普通标题 ABC 123"),
        ("", ""),
    ],
)
def test_shown(text: str, expected: str) -> None:
    assert shown(text) == expected
