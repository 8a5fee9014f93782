"""Highlighting for the embedded store: the query's words marked in the original text.

Words are found in the normalised text (width, case and traditional forms folded one character at a time), so
an offset there is the offset in the original, which is what is shown. Elasticsearch highlights with its own
highlighter; both give HTML-escaped fragments with the words in <em>…</em>.
"""

from __future__ import annotations

import html

from store.tokens import normalise

FRAGMENTS = 3
FRAGMENT_SIZE = 120
_LEAD = 20  # characters of context before the first word of a fragment


def _spans(text: str, tokens: list[str]) -> list[tuple[int, int]]:
    folded = normalise(text)
    found: list[tuple[int, int]] = []
    for token in tokens:
        start = folded.find(token)
        while start != -1:
            found.append((start, start + len(token)))
            start = folded.find(token, start + 1)
    merged: list[tuple[int, int]] = []
    for start, end in sorted(found):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def fragments(text: str, tokens: list[str]) -> list[str]:
    """Up to three fragments of `text` around the words, HTML-escaped, the words in <em>…</em>."""
    spans = _spans(text, tokens)
    out: list[str] = []
    window_end = -1
    for start, _end in spans:
        if start < window_end or len(out) == FRAGMENTS:
            continue
        begin = max(0, start - _LEAD) if len(text) > FRAGMENT_SIZE else 0
        window_end = min(len(text), begin + FRAGMENT_SIZE)
        pieces: list[str] = []
        cursor = begin
        for s, e in spans:
            if e <= begin or s >= window_end:
                continue
            s, e = max(s, begin), min(e, window_end)
            pieces.append(html.escape(text[cursor:s]))
            pieces.append(f"<em>{html.escape(text[s:e])}</em>")
            cursor = e
        pieces.append(html.escape(text[cursor:window_end]))
        out.append("".join(pieces))
    return out
