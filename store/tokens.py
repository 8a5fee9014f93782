"""Chinese word tokens for full-text search: jieba's search-mode cut over NFKC-normalised, lower-cased text.

Indexing and querying must use the very same function, or a word indexed one way is looked up another way.
Search mode (`cut_for_search`) also emits the shorter words inside long ones, so a query for 教育 finds a
post about 县教育局.
"""

from __future__ import annotations

import logging
import threading
import unicodedata
from collections.abc import Iterable

import jieba

_lock = threading.Lock()
_initialised = False


def _ensure_initialised() -> None:
    """Load jieba's dictionary once per process, on first use: importing this module must stay cheap."""
    global _initialised
    if _initialised:
        return
    with _lock:
        if not _initialised:
            # jieba prints "Building prefix dict..." at DEBUG/INFO on every process start; that is noise here.
            jieba.setLogLevel(logging.WARNING)
            jieba.initialize()  # caches the prefix dict under tempfile.gettempdir(), which is writable
            _initialised = True


def normalise(text: str) -> str:
    """NFKC (full-width letters and digits to half-width) and lower case: ＡＢＣ１２３ and abc123 are one word."""
    return unicodedata.normalize("NFKC", text).lower()


def _is_word(token: str) -> bool:
    """True when the token has a letter or digit.

    Whitespace, punctuation, symbols and emoji alone are dropped: SQLite's unicode61 tokenizer would treat
    them as separators anyway, and a query made only of them must not turn into an empty phrase.
    """
    return any(unicodedata.category(ch)[0] in "LN" for ch in token)


def tokenize(text: str) -> list[str]:
    """The search tokens of `text`, in order, with repeats (term frequency matters for ranking)."""
    if not text:
        return []
    _ensure_initialised()
    return [token for token in jieba.cut_for_search(normalise(text)) if _is_word(token)]


def add_words(words: Iterable[str]) -> None:
    """Teach jieba words it should keep whole (unit names such as 县教育局), so they are found as words.

    Already-indexed text keeps its old tokens; only text tokenised afterwards sees the new words.
    """
    _ensure_initialised()
    # jieba's add_word updates two shared dicts without locking; serialise writers (readers only do lookups).
    with _lock:
        for word in words:
            word = normalise(word).strip()
            if word:
                jieba.add_word(word)
