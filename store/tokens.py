"""Chinese tokenisation for indexing and querying: jieba, initialised once per process on first use."""

from __future__ import annotations

import logging
import threading
import unicodedata
from collections.abc import Iterable

import jieba

_lock = threading.Lock()
_ready = False


def _ensure_ready() -> None:
    global _ready
    if _ready:
        return
    with _lock:
        if not _ready:
            jieba.setLogLevel(logging.WARNING)
            jieba.initialize()
            _ready = True


def _is_word(token: str) -> bool:
    # A token counts when it has a letter or a digit: punctuation, spaces and emoji are not words.
    return any(unicodedata.category(ch)[0] in "LN" for ch in token)


def normalise(text: str) -> str:
    """Full-width to half-width (NFKC) and lower case, so ＡＢＣ１２３ and abc123 match."""
    return unicodedata.normalize("NFKC", text).lower()


def tokenize(text: str) -> list[str]:
    """Search-mode tokens: 城关县教育局 gives 城关, 教育, 教育局, 城关县教育局 (when a known word), …"""
    _ensure_ready()
    return [t for t in (tok.strip() for tok in jieba.cut_for_search(normalise(text))) if t and _is_word(t)]


def segment(text: str) -> list[str]:
    """Accurate-mode words, no overlaps: what sentiment should count (search mode would count 欺凌 inside
    防欺凌宣传 twice)."""
    _ensure_ready()
    return [t for t in (tok.strip() for tok in jieba.lcut(normalise(text))) if t and _is_word(t)]


def add_words(words: Iterable[str]) -> None:
    """Keep these (unit names, scheme words) whole. Idempotent; safe from several threads."""
    _ensure_ready()
    with _lock:
        for word in words:
            word = normalise(word).strip()
            if word:
                jieba.add_word(word, freq=max(jieba.suggest_freq(word, False), 10_000))
