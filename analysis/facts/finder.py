"""Finding the registry's facts (analysis/facts/catalogue.py) in a post's words: each matched on whole jieba words
(one word or a run of up to three adjacent words that spell it, so 被打 is found in 被/打) — never a character
fragment: 生吃 is not in 学生吃.

An occurrence right after a negator (没有人受伤, 尚无伤亡) does not count; harm, and anything else whose entry says
`feared_blocks`, right after a word of supposition or threat (一旦, 以免, 担心, 扬言 …) does not count either; nor
does a word of an entry after one of its `not_after` words or before one of its `not_before` words (树木…死亡,
死亡威胁, 扣押车辆: another sense). A structural fact (`near`) counts only with one of its near words within
NEAR_WITHIN words. Each fact found carries
the words that showed it, for the explanation; the grader (analysis/grader.py) weighs them.
"""

from __future__ import annotations

import functools
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass

from analysis.facts.catalogue import FACTS as _CATALOGUE
from analysis.facts.schema import Context, Fact, validate
from store.tokens import dictionary_version, jieba_cut

# Up to this many adjacent words are joined to spell a fact word (被/打 → 被打, 上/百名 → 上百名).
MAX_SPAN = 3
# A fact word right after one of these (within NEGATED_WITHIN words) is denied, not stated.
NEGATORS = frozenset(
    {"没", "没有", "无", "未", "尚无", "暂无", "并未", "没有人", "无人", "未有", "不会", "防止", "避免", "预防"}
)
NEGATED_WITHIN = 2
# Harm that might happen is a hazard, not harm done (一旦倒塌将造成伤亡, 以免学生受伤, 担心孩子中毒), and a gathering
# threatened is not under way (扬言要去上访): such a word this close after one of these does not count.
HYPOTHETICAL = frozenset(
    {"一旦", "万一", "如果", "假如", "若", "以免", "可能", "容易", "担心", "害怕", "恐怕", "会", "将"}
    | {"扬言", "声称", "威胁", "准备", "打算"}
)
HYPOTHETICAL_WITHIN = 3
# A structural fact's two words are at most this many words apart (the words carry no punctuation: a window
# stands for "the same sentence").
NEAR_WITHIN = 8

FACTS: tuple[Fact, ...] = validate(_CATALOGUE)
# Facts of harm already done (the guide's "harmed"): a post stating one is no mere question or suggestion.
HARM = frozenset(f.id for f in FACTS if f.harm)
# Facts that bear out a 重大 scheme (a person harmed or at risk now, or officials' concrete misconduct).
CORROBORATING = frozenset(f.id for f in FACTS if f.corroborates)
_COUNTED = tuple(f for f in FACTS if f.counts_at_least)
# Facts the grader weighs as features (the structural ones are shown and corroborate only).
WEIGHED = frozenset(f.id for f in FACTS if f.weighed)


@dataclass(frozen=True)
class FactHit:
    fact: str  # Fact.id
    zh: str
    words: list[str]  # as found, first occurrence order, no repeats


# A head count: 二十多名, 100余人, 三十几户, 千余人 (whole words, joined as above).
_COUNT = re.compile(
    r"^(\d+|[一二两三四五六七八九十百千万几数]+)(多|余|来)?(名|个|人|户|家|位|位老人|名学生|名工人|多人|余人)$"
)
_DIGITS = dict(zip("零一二两三四五六七八九", (0, 1, 2, 2, 3, 4, 5, 6, 7, 8, 9), strict=True)) | {"几": 3, "数": 3}
_UNITS = {"十": 10, "百": 100, "千": 1000, "万": 10000}


def count_value(numeral: str) -> int:
    """二十 → 20, 十几 → 13, 三百 → 300, 千 → 1000, 272 → 272 (几/数 count as 3: 几十 → 30)."""
    if numeral.isdigit():
        return int(numeral)
    total = section = digit = 0
    for ch in numeral:
        if ch in _DIGITS:
            digit = _DIGITS[ch]
        elif ch == "万":
            total += (section + digit) * 10000
            section = digit = 0
        elif ch in _UNITS:
            section += (digit or 1) * _UNITS[ch]
            digit = 0
    return total + section + digit


@functools.cache
def _index() -> tuple[dict[str, tuple[Fact, ...]], frozenset[str], frozenset[str], frozenset[str]]:
    """Fact word → facts; every proper prefix of a fact or near word (a run of words is only extended while it
    can still spell one); every near word; every word find_facts visits: one that can start a fact word (a fact
    word or a prefix), negates or supposes (a token starting with a numeral is visited too)."""
    by_word: dict[str, list[Fact]] = {}
    for f in FACTS:
        for word in f.words:
            by_word.setdefault(word.lower(), []).append(f)
    near = frozenset(w.lower() for f in FACTS for w in f.near)
    prefixes = frozenset(w[:i] for w in by_word.keys() | near for i in range(1, len(w)))
    # Interned, as the tokeniser's words are: a set or dict finds them by identity (analysis/judgec.py interned).
    visited = frozenset(map(sys.intern, prefixes | by_word.keys() | NEGATORS | HYPOTHETICAL))
    return {sys.intern(w): tuple(f) for w, f in by_word.items()}, prefixes, near, visited


# Every entry's near endings (a word ending in one is a candidate partner; its own entry decides).
_ENDINGS = tuple(sorted({e for f in FACTS for e in f.near_endings}))


def _partner(word: str, fact: Fact) -> bool:
    return word in fact.near or (bool(fact.near_endings) and len(word) > 1 and word.endswith(fact.near_endings))


_NUMERALS = frozenset("0123456789一二两三四五六七八九十百千万几数")


def fact_words() -> set[str]:
    """Every fact word (for tests and documentation; the tokenizer is not told them: see module docstring)."""
    return {w for f in FACTS for w in f.words}


def _count_ends() -> frozenset[str] | None:
    """The last character of every string _COUNT matches, read from its closing group of plain alternatives (名, 个,
    …, 名学生): anything else is no head count, and most numeral runs (2020年, 3月) are told so without the
    pattern. None when the pattern does not end so (every run then goes through the pattern)."""
    tail = re.search(r"\(([^()\[\]?*+.\\]*)\)\$$", _COUNT.pattern)
    return frozenset(a[-1] for a in tail.group(1).split("|")) if tail and all(tail.group(1).split("|")) else None


_COUNT_ENDS = _count_ends()


def _count(word: str) -> int:
    if _COUNT_ENDS is not None and word[-1] not in _COUNT_ENDS:
        return 0
    found = _COUNT.match(word)
    if not found or found.group(1).startswith("几个"):
        return 0
    return count_value(found.group(1))


def _inner_words(token: str) -> list[str]:
    """The dictionary words inside a long token, left to right without overlaps. The user dictionary holds the
    configuration's phrases (a scheme's 随时可能倒塌) as single words; the facts are in the words they are made of."""
    inner, end = [], 0
    for word in jieba_cut(token, search=True):  # jieba.cut_for_search's tokens, cut by the compiled port
        start = token.find(word, end)
        if word != token and start >= end:
            inner.append(word)
            end = start + len(word)
    return inner if "".join(inner) == token else [token]


# _inner_words of the long tokens seen lately, for the dictionary they were cut with: the same phrases (the
# configuration's, jieba's idioms) come back post after post, and each cut cost a call into the tokeniser.
_INNER_LIMIT = 8192
_inner_seen: dict[str, list[str]] = {}
_inner_version: list[object] = [None]


def _inner_cached(token: str, version: object) -> list[str]:
    """_inner_words(token), from the cache while the dictionary is at `version` (store.tokens.dictionary_version)."""
    if _inner_version[0] != version:
        _inner_seen.clear()
        _inner_version[0] = version
    inner = _inner_seen.get(token)
    if inner is None:
        if len(_inner_seen) >= _INNER_LIMIT:
            _inner_seen.clear()
        inner = _inner_seen[token] = _inner_words(token)
    return inner


def _spelled(tokens: list[str], prefixes: frozenset[str]) -> list[list[str]]:
    """For each token, the strings it starts: itself and its runs with the next words while they can spell a
    fact word (numerals always extend: 二十/多/名)."""
    return [_runs(tokens, i, prefixes) for i in range(len(tokens))]


def _runs(tokens: list[str], i: int, prefixes: frozenset[str]) -> list[str]:
    """The strings tokens[i] starts (`_spelled`'s for one token)."""
    token = tokens[i]
    if token not in prefixes and token[0] not in _NUMERALS:
        return [token]  # most tokens: they spell nothing longer (what the loop below finds at once)
    runs, spelled = [], ""
    counting = token[0] in _NUMERALS
    for j in range(i, min(i + MAX_SPAN, len(tokens))):
        spelled += tokens[j]
        runs.append(spelled)
        if not counting and spelled not in prefixes:
            break
    return runs


def _in_context(tokens: list[str], start: int, end: int, fact: Fact) -> bool:
    """Whether the fact word spelled by tokens[start:end] has a `not_after` word before it or a `not_before` word
    after it, within the context's distance."""
    return _near_any(tokens, range(start - 1, -1, -1), fact.not_after) or _near_any(
        tokens, range(end, len(tokens)), fact.not_before
    )


def _near_any(tokens: list[str], positions: range, contexts: tuple[Context, ...]) -> bool:
    for context in contexts:
        for distance, j in enumerate(positions, start=1):
            if distance > context.within:
                break
            if tokens[j] in context.words:
                return True
    return False


def find_facts(words: Iterable[str]) -> list[FactHit]:
    """The facts stated in a text given as accurate-mode jieba words (`store.tokens.segment`), in registry order."""
    index, prefixes, near_words, visit = _index()
    tokens: list[str] = []
    version: object = None
    for word in words:
        if len(word) >= 4 and word.lower() not in index and word[0] not in _NUMERALS:  # a long phrase
            if version is None:
                version = dictionary_version()
            tokens.extend(_inner_cached(word, version))
        else:
            tokens.append(word)
    near_at: dict[int, list[str]] = {}  # a token's runs that are near words, for the windows a structural fact reads

    def near(j: int) -> list[str]:
        got = near_at.get(j)
        if got is None:
            got = near_at[j] = [
                s
                for s in _runs(tokens, j, prefixes)
                if s in near_words or (_ENDINGS and len(s) > 1 and s.endswith(_ENDINGS))
            ]
        return got

    found: dict[str, list[str]] = {}

    def add(fact_id: str, *shown: str) -> None:
        seen = found.setdefault(fact_id, [])
        seen.extend(s for s in shown if s not in seen)

    # Only the tokens that negate, suppose, or can start a fact word or a head count are visited; the others only
    # move the counters, which are worked out from where the last negator and supposition were. A negator is
    # passed over (the supposition counter does not move); any other token counts one for both.
    last_negator = -(NEGATED_WITHIN + 2)  # as if NEGATED_WITHIN + 1 words before the first
    last_hypothetical = None  # none yet: nothing is supposed
    negators_since = 0  # negators after the last supposition (not counted by since_hypothetical)
    visited = [i for i, token in enumerate(tokens) if token in visit or token[0] in _NUMERALS]
    for i in visited:
        token = tokens[i]
        if token in NEGATORS:
            last_negator = i
            negators_since += 1
            continue
        if token in HYPOTHETICAL:
            last_hypothetical, negators_since = i, 0
        if i - last_negator <= NEGATED_WITHIN:
            continue
        since_hypothetical = (
            HYPOTHETICAL_WITHIN + 1 if last_hypothetical is None else i - last_hypothetical - negators_since
        )
        possible = 0 < since_hypothetical <= HYPOTHETICAL_WITHIN
        for length, spelled in enumerate(_runs(tokens, i, prefixes), start=1):
            for f in index.get(spelled, ()):
                if possible and f.feared_blocks:
                    continue
                if (f.not_after or f.not_before) and _in_context(tokens, i, i + length, f):
                    continue
                if not f.near:
                    add(f.id, spelled)
                    continue
                window = range(max(0, i - NEAR_WITHIN), min(len(tokens), i + NEAR_WITHIN + 1))
                # A listed near word (副局长) before an office named by its ending (住建局).
                partner = next((w for j in window if j != i for w in near(j) if w in f.near), None) or next(
                    (w for j in window if j != i for w in near(j) if _partner(w, f)), None
                )
                if partner is not None:
                    add(f.id, partner, spelled)
            if spelled[0] in _NUMERALS and (value := _count(spelled)):
                for f in _COUNTED:
                    if value >= f.counts_at_least:
                        add(f.id, spelled)
    if not found:  # most posts
        return []
    return [FactHit(f.id, f.zh, found[f.id]) for f in FACTS if f.id in found]
