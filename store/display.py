"""Crawled text as people are shown it. Bidirectional overrides and invisible characters let a post's title read
as something it is not — "试测\u202egnp.exe" shows as "试测exe.png" — so they are removed wherever text is shown
(dashboard, notifications, briefings). The stored text keeps them: it is evidence of what was posted."""

from __future__ import annotations

# Bidi embeddings, overrides, isolates and marks; zero-width and other invisible format characters.
INVISIBLE = frozenset(
    [
        0x061C,  # Arabic letter mark
        0x180E,  # Mongolian vowel separator
        0xFEFF,  # zero-width no-break space (BOM)
        *range(0x200B, 0x2010),  # ZWSP, ZWNJ, ZWJ, LRM, RLM
        *range(0x202A, 0x202F),  # LRE, RLE, PDF, LRO, RLO
        *range(0x2060, 0x2065),  # word joiner, invisible operators
        *range(0x2066, 0x2070),  # LRI, RLI, FSI, PDI and the deprecated format characters
    ]
)
_DROP: dict[int, None] = dict.fromkeys(INVISIBLE)


def shown(text: str) -> str:
    """`text` without bidi controls and invisible characters."""
    return text.translate(_DROP)
