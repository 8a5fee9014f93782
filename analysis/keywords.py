"""高频词: the words that characterise a set of posts, counted once a post, without the words every Chinese text
has (现在, 已经, 我们) and without the pieces jieba's search mode cuts out of longer words (关镇 inside 城关镇)."""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Iterable
from importlib import resources


@functools.cache
def stopwords() -> frozenset[str]:
    """Function words, pronouns, time words and filler common to all complaint posts (analysis/data/stopwords.txt)."""
    text = (resources.files("analysis") / "data" / "stopwords.txt").read_text(encoding="utf-8")
    return frozenset(w for w in (line.split("#")[0].strip() for line in text.splitlines()) if w)


_WORDLIKE = re.compile(r"^\w{2,}$")


def post_terms(tokens: Iterable[str]) -> set[str]:
    """The words of one post worth counting: no stopwords, no numbers, and no token that is only a piece of
    a longer token of the same post (search mode gives 城关, 关镇 and 城关镇 for 城关镇: only 城关镇 counts)."""
    words = {t for t in tokens if _WORDLIKE.match(t) and not t.isdigit() and t not in stopwords()}
    longest_first = sorted(words, key=len, reverse=True)
    return {w for w in words if not any(len(o) > len(w) and w in o for o in longest_first)}


def top_terms(posts: Iterable[Iterable[str]], size: int) -> list[tuple[str, int]]:
    """The `size` words found in the most posts (each post counts a word once), most first, then by word."""
    counts: Counter[str] = Counter()
    for tokens in posts:
        counts.update(post_terms(tokens))
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:size]
