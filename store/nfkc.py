"""unicodedata.normalize("NFKC", text), the same string, without normalising character by character in Python.

Most characters' NFKC is context-free: when every character of a text decomposes (NFKD) into characters of
combining class 0 that are never the second half of a canonical composition, nothing is reordered or composed
across characters, and the text's NFKC is each character's NFKC in turn. Those characters (their one-character
NFKC: ，→ , and Ａ→ A) are cached in C (store/_jiebac.c's Folder, the cache normalise uses); a text holding any
other character (a combining mark, a Hangul jamo, ﬁ → fi) goes to unicodedata whole."""

from __future__ import annotations

import functools
import unicodedata

# No character past U+2FA1D has a decomposition in Python 3.11's Unicode 14 (a test scans the whole range).
_LAST_DECOMPOSED = 0x2FFFF
_UNSAFE = "\uffff"  # a noncharacter: what the table gives for characters it cannot map alone (and for itself)


@functools.cache
def _seconds() -> frozenset[str]:
    # Second halves of canonical pairs (a superset of the primary composites: exclusions kept), Hangul V and T.
    found = {chr(c) for c in range(0x1161, 0x1176)} | {chr(c) for c in range(0x11A8, 0x11C3)}
    for code in range(_LAST_DECOMPOSED + 1):
        parts = unicodedata.decomposition(chr(code))
        if parts and parts[0] != "<":
            pair = parts.split()
            if len(pair) == 2:
                found.add(chr(int(pair[1], 16)))
    return frozenset(found)


class _Table(dict[int, str]):
    def __missing__(self, code: int) -> str:
        ch = chr(code)
        seconds = _seconds()
        out = unicodedata.normalize("NFKC", ch)
        alone = all(unicodedata.combining(d) == 0 and d not in seconds for d in unicodedata.normalize("NFKD", ch))
        mapped = out if alone and len(out) == 1 and ch != _UNSAFE else _UNSAFE
        self[code] = mapped
        return mapped


@functools.cache
def _folder() -> object | None:
    try:
        from store._jiebac import Folder
    except ImportError:
        return None
    return Folder(_Table())


def nfkc(text: str) -> str:
    """unicodedata.normalize("NFKC", text)."""
    if text.isascii():
        return text  # ASCII is its own NFKC
    folder = _folder()
    if folder is not None:
        folded: str = folder.fold(text)  # type: ignore[attr-defined]
        if _UNSAFE not in folded:
            return folded
    return unicodedata.normalize("NFKC", text)
