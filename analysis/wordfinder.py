"""Find many words at once in a text: one Aho-Corasick automaton, on folded text, offsets in the original.

Shared by monitoring schemes and unit attribution. Words are folded like the text (full-width, case,
traditional characters), so 學校 finds 学校; a word with Latin letters or digits at an edge must stand alone
there (ai is not found inside said).
"""

from __future__ import annotations

from collections.abc import Iterable

import ahocorasick

from store.tokens import normalise


def _is_ascii_word_char(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


class WordFinder:
    def __init__(self, words: Iterable[str]) -> None:
        self.ids: dict[str, int] = {}  # folded word -> id
        self.words: list[str] = []  # id -> the word as first given
        for word in words:
            self.add(word)
        self._automaton: ahocorasick.Automaton | None = None

    def add(self, word: str) -> int:
        """The word's id (the same for every spelling that folds alike); call before the first `find`."""
        key = normalise(word)
        if key not in self.ids:
            self.ids[key] = len(self.words)
            self.words.append(word)
        return self.ids[key]

    def _build(self) -> ahocorasick.Automaton:
        automaton = ahocorasick.Automaton()
        # The automaton runs over UTF-8 bytes (as latin-1 characters): with thousands of Chinese words its nodes
        # fan out far less than over Unicode characters — about 6x faster (bench/analysis_speed.py). UTF-8 is
        # self-synchronising, so a word's bytes only match on character boundaries.
        for folded, wid in self.ids.items():
            latin_edge = _is_ascii_word_char(folded[0]) or _is_ascii_word_char(folded[-1])
            key = folded.encode("utf-8").decode("latin-1")
            automaton.add_word(key, (wid, len(key), len(folded), latin_edge))
        if self.ids:
            automaton.make_automaton()
        return automaton

    def find(self, text: str) -> list[tuple[int, int, int]]:
        """(word id, start, end) of every occurrence, overlapping ones included, offsets into `text`."""
        if self._automaton is None:
            self._automaton = self._build()
        if not self.ids or not text:
            return []
        folded, raw, latin = _prepared(text)
        found: list[tuple[int, int, int]] = []
        last_byte = last_char = 0  # hits come in text order: count characters between them, not from the start
        for end_byte, (wid, byte_length, length, latin_edge) in self._automaton.iter(latin):
            start_byte = end_byte - byte_length + 1
            if start_byte >= last_byte:
                start = last_char + len(raw[last_byte:start_byte].decode("utf-8"))
            else:
                start = len(raw[:start_byte].decode("utf-8"))
            last_byte, last_char = start_byte, start
            end = start + length
            if latin_edge and (
                (start > 0 and _is_ascii_word_char(folded[start]) and _is_ascii_word_char(folded[start - 1]))
                or (end < len(folded) and _is_ascii_word_char(folded[end - 1]) and _is_ascii_word_char(folded[end]))
            ):
                continue
            found.append((wid, start, end))
        return found


# The last two texts prepared and their forms: the schemes, the unit names and the topic words each look in the
# content, and the territory in the title and content joined, one after another. One tuple, replaced whole: a thread
# reads a consistent pair of entries or another text's.
_Prepared = tuple[str, str, bytes, str]
_last: tuple[_Prepared, _Prepared] = (("", "", b"", ""), ("", "", b"", ""))


def _prepared(text: str) -> tuple[str, bytes, str]:
    """(normalise(text), its UTF-8 bytes, those bytes as latin-1 characters), kept for the next finders."""
    global _last
    newer, older = _last
    if newer[0] == text:
        return newer[1], newer[2], newer[3]
    if older[0] == text:
        _last = (older, newer)
        return older[1], older[2], older[3]
    folded = normalise(text)
    raw = folded.encode("utf-8")
    latin = raw.decode("latin-1")
    _last = ((text, folded, raw, latin), newer)
    return folded, raw, latin
