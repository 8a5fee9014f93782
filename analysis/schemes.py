"""Monitoring schemes (监测方案), all compiled into one Aho-Corasick automaton.

A scheme matches a post when every non-empty group (region, subject, event) has a word in scope, its query (if
any) holds, one word of each group lies within `proximity` characters (if set), and no exclusion word occurs.
Words are matched on folded text (full-width, case, traditional characters), so 學校 matches 学校; a word of
Latin letters or digits must stand alone (ai does not match inside said). Every flag carries the words it matched
and their offsets in the original title or content, for highlighting and for "why was this flagged".

Words match whole jieba words, never a character fragment: 主任 is not found in 班主任, nor 学生 in 小学生. A scheme
word matches a run of whole words that spells it (工资不发 in 工资/不/发), or one part of a compound word whose
other parts are dictionary words of two or more characters (中毒 in 食物中毒, 倒塌 in 随时可能倒塌) — see `WholeWords`.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

import textquery
from analysis.wordfinder import WordFinder
from config import Scheme
from store.mentions import SchemeFlag
from store.tokens import add_words, jieba_cut, normalise, segment, word_frequency

MAX_POSITIONS = 50  # offsets kept per flag: enough to highlight, bounded for a post that repeats a word 1,000 times

Occurrence = tuple[str, int, int]  # (field, start, end) in the original text


@dataclass(frozen=True)
class SchemeMatch:
    scheme: Scheme
    flag: SchemeFlag


@dataclass(frozen=True)
class _Compiled:
    scheme: Scheme
    groups: tuple[frozenset[int], ...]  # non-empty groups, as word ids
    exclude: frozenset[int]
    query: textquery.Node | None
    query_words: dict[textquery.Term, int]
    positive_query_words: tuple[int, ...]
    title_only: bool


class SchemeMatcher:
    def __init__(self, schemes: list[Scheme]) -> None:
        self.schemes = [s for s in schemes if s.enabled]
        self._finder = WordFinder(())
        self._dictionary_ready = False
        self._compiled = [self._compile(s) for s in self.schemes]
        # word id -> schemes that word can make match; only these are evaluated for a post
        self._candidates: list[tuple[int, ...]] = [() for _ in self._finder.words]
        for index, compiled in enumerate(self._compiled):
            for wid in {w for group in compiled.groups for w in group} | set(compiled.positive_query_words):
                self._candidates[wid] += (index,)

    def _word_id(self, word: str) -> int:
        return self._finder.add(word)

    def _compile(self, scheme: Scheme) -> _Compiled:
        groups = tuple(
            frozenset(self._word_id(w) for w in g) for g in (scheme.region, scheme.subject, scheme.event) if g
        )
        query = textquery.parse(scheme.query) if scheme.query else None
        query_words = {t: self._word_id(t.text) for t in textquery.terms(query)} if query else {}
        positive = tuple(query_words[t] for t in textquery.terms(query, positive_only=True)) if query else ()
        return _Compiled(
            scheme=scheme,
            groups=groups,
            exclude=frozenset(self._word_id(w) for w in scheme.exclude),
            query=query,
            query_words=query_words,
            positive_query_words=positive,
            title_only=scheme.scope == "title",
        )

    def words(self) -> set[str]:
        """Every word of every enabled scheme, for the tokenizer's user dictionary."""
        return set(self._finder.words)

    def match(self, *, title: str, content: str, words: list[str] | None = None) -> list[SchemeMatch]:
        """The schemes a post matches. `words`: the accurate-mode jieba words of f"{title}\n{content}"
        (`store.tokens.segment`), which the analyser has already cut; without them the text is cut here."""
        raw = [("title", o) for o in self._finder.find(title)] + [("content", o) for o in self._finder.find(content)]
        if not raw:  # most posts: no scheme word at all, no need to know the words
            return []
        seen = {wid for _, (wid, _, _) in raw}
        possible = {index for wid in seen for index in self._candidates[wid]}
        if not any(all(not g.isdisjoint(seen) for g in self._compiled[i].groups) for i in possible):
            return []  # no scheme has a word of every group even counting fragments: whole words cannot do better
        text = f"{title}\n{content}"
        if words is None:
            if not self._dictionary_ready:
                # As the analyser does with the configuration's words: keep this matcher's words whole.
                add_words(self.words())
                self._dictionary_ready = True
            words = segment(text)
        whole = WholeWords(text, words)
        found: dict[int, list[Occurrence]] = {}
        title_words: set[int] = set()
        for field, (wid, start, end) in raw:
            offset = 0 if field == "title" else len(title) + 1
            if whole.accepts(start + offset, end + offset):
                found.setdefault(wid, []).append((field, start, end))
                if field == "title":
                    title_words.add(wid)
        if not found:
            return []
        any_words = frozenset(found)
        candidates = sorted({index for wid in any_words for index in self._candidates[wid]})
        matches: list[SchemeMatch] = []
        for index in candidates:
            c = self._compiled[index]
            present = frozenset(title_words) if c.title_only else any_words
            # Cheap set tests first; occurrences are only looked at for the few schemes that match.
            if _words_match(c, present):
                match = self._flag(c, present, found)
                if match is not None:
                    matches.append(match)
        matches.sort(key=lambda m: -m.scheme.severity)
        return matches

    def _flag(self, c: _Compiled, present: frozenset[int], found: dict[int, list[Occurrence]]) -> SchemeMatch | None:
        def in_scope(wid: int) -> list[Occurrence]:
            return [o for o in found.get(wid, ()) if not c.title_only or o[0] == "title"]

        hit_groups = [[w for w in group if w in present] for group in c.groups]
        if c.scheme.proximity is not None and not _within(
            [[o for w in group for o in in_scope(w)] for group in hit_groups], c.scheme.proximity
        ):
            return None
        matched = [w for group in hit_groups for w in group] + [w for w in c.positive_query_words if w in present]
        matched = list(dict.fromkeys(matched))
        positions = sorted({(o[0], o[1]) for w in matched for o in in_scope(w)}, key=lambda p: (p[0] != "title", p[1]))
        flag = SchemeFlag(
            scheme=c.scheme.id, words=[self._finder.words[w] for w in matched], positions=positions[:MAX_POSITIONS]
        )
        return SchemeMatch(c.scheme, flag)


class WholeWords:
    """Which character spans of a text are whole words, given its accurate-mode jieba words.

    A span is whole when it starts where a word starts and ends where a word ends (one word or a run of them),
    or when it lies inside one word whose remaining parts are each a dictionary word of at least two characters
    (食物|中毒, 学校|食堂, 空气|污染): never when a single character is left over (班|主任, 小|学生, 学|生)."""

    def __init__(self, text: str, words: list[str]) -> None:
        folded = normalise(text)
        self._folded = folded
        # The words' spans in text order, never overlapping: the word covering a character is found by bisection
        # (a per-character table cost a Python step for every character of the post).
        self._starts: list[int] = []
        self._ends: list[int] = []
        cursor = 0
        for word in words:
            start = folded.find(word, cursor)
            if start < 0:  # not where expected (should not happen): leave these characters unjudged
                continue
            cursor = start + len(word)
            if cursor > start:
                self._starts.append(start)
                self._ends.append(cursor)

    def _owner(self, at: int) -> int:
        """The index of the word covering character `at`, -1 for none."""
        index = bisect.bisect_right(self._starts, at) - 1
        return index if index >= 0 and at < self._ends[index] else -1

    def accepts(self, start: int, end: int) -> bool:
        first, last = self._owner(start), self._owner(end - 1)
        if first < 0 or last < 0:
            return True  # characters jieba did not cut into words (symbols): nothing to judge by
        word_start, word_end = self._starts[first], self._ends[last]
        if word_start == start and word_end == end:
            return True
        if first != last:
            return False  # starts or ends inside a word that runs across it
        return all(
            not rest or _words_of_two(rest) for rest in (self._folded[word_start:start], self._folded[end:word_end])
        )


def _words_of_two(rest: str) -> bool:
    """Is this part of a compound word itself whole words of two or more characters (随时可能 = 随时|可能)?"""
    # jieba's dictionary (loaded by word_frequency when the words came from another process's cut)
    if word_frequency(rest) > 0 and len(rest) >= 2:
        return True
    pieces = jieba_cut(rest, hmm=False) if len(rest) >= 4 else []  # jieba.lcut(rest, HMM=False), compiled
    return len(pieces) > 1 and all(len(p) >= 2 and word_frequency(p) > 0 for p in pieces)


def _words_match(c: _Compiled, present: frozenset[int]) -> bool:
    if not c.exclude.isdisjoint(present) or any(g.isdisjoint(present) for g in c.groups):
        return False
    return c.query is None or textquery.evaluate(c.query, lambda t: c.query_words[t] in present)


def _within(groups: list[list[Occurrence]], limit: int) -> bool:
    """Is there one occurrence of every group, all in one field, spanning at most `limit` characters?

    A sliding window over the occurrences in text order: linear, so a post repeating a word a thousand times
    costs no more than it should."""
    tagged = sorted((o[0], o[1], o[2], g) for g, group in enumerate(groups) for o in group)
    counts = [0] * len(groups)
    covered = 0
    left = 0
    for right, (field, _start, end, group) in enumerate(tagged):
        if tagged[left][0] != field:  # a new field: start the window again
            counts = [0] * len(groups)
            covered = 0
            left = right
        counts[group] += 1
        covered += counts[group] == 1
        while covered == len(groups):
            if end - tagged[left][1] <= limit:
                return True
            counts[tagged[left][3]] -= 1
            covered -= counts[tagged[left][3]] == 0
            left += 1
    return False
