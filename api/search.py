"""The analysts' query (textquery syntax) as the mention store can run it, and highlights of its words."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from weakref import WeakKeyDictionary

from anyio import CapacityLimiter
from fastapi import HTTPException

import textquery
from analysis.wordfinder import WordFinder
from config import Config
from store.mentions import textsearch
from web.access.scope import Principal
from web.params import invalid

MAX_SPANS_PER_FIELD = 20
# One limiter per event loop: an anyio limiter belongs to the loop it first waited on (tests run an app on several).
_SEARCH_LIMITERS: WeakKeyDictionary[asyncio.AbstractEventLoop, CapacityLimiter] = WeakKeyDictionary()


def search_limiter(slots: int) -> CapacityLimiter:
    """The threads store searches run on in this process, at most `slots` at once; the others wait on the event
    loop. A search holds a pooled store connection and a core: more at once only queue for the cores, and each one
    past the store's idle pool opens and closes a connection of its own (40 threads of fresh searches on 200k
    mentions: 210 connections opened for 800 searches and 10.2 ms CPU a search; 4 at once: 3 opened, 8.7 ms)."""
    loop = asyncio.get_running_loop()
    limiter = _SEARCH_LIMITERS.get(loop)
    if limiter is None:
        limiter = _SEARCH_LIMITERS[loop] = CapacityLimiter(slots)
    return limiter


@dataclass(frozen=True)
class ParsedQuery:
    store_text: str | None  # what the store searches: the query as written (store.mentions.textsearch)
    words: tuple[str, ...]  # positive words and phrases, for highlights


def unit_synonyms(config: Config) -> dict[str, list[str]]:
    """Every name a unit goes by (its name and aliases), under each of them: search finds the unit however the
    post names it."""
    out: dict[str, list[str]] = {}
    for unit in config.units:
        names = [unit.name, *unit.aliases]
        for name in names:
            out.setdefault(name, []).extend(n for n in names if n != name)
    return out


def parse_query(q: str | None, synonyms: dict[str, list[str]] | None = None) -> ParsedQuery:
    """Parse `q`; a syntax error is a 422 naming the position (unbalanced parentheses, unclosed quotes), and a
    query no store can run (NOT alone, NOT inside an OR) a 422 saying why. The store runs the query itself."""
    if q is None or not q.strip():
        return ParsedQuery(None, ())
    try:
        node = textquery.parse(q)
        textsearch.plan(q)
    except textquery.QuerySyntaxError as exc:
        raise invalid(
            ("query", "q"),
            f"query syntax: {exc}",
            kind="query_syntax",
            position=exc.position,
            zh=f"查询语法错误：{exc.zh}",
        ) from None
    except textsearch.UnsupportedQuery as exc:
        raise invalid(("query", "q"), str(exc), kind="query_unsupported", zh=exc.zh) from None
    if synonyms:
        # Checked as typed first (error positions are the user's), then run with the units' other names.
        expanded = textquery.expand(q, synonyms)
        if expanded != q:
            return parse_query(expanded)
    words = tuple(t.text for t in textquery.terms(node, positive_only=True))
    return ParsedQuery(q, words)


def highlights(words: tuple[str, ...], fields: dict[str, str]) -> list[tuple[str, int, int]]:
    """(field, start, end) of every occurrence of the query's words, case-insensitive, in text order."""
    spans: list[tuple[str, int, int]] = []
    for field, text in fields.items():
        folded = text.lower() if len(text.lower()) == len(text) else text  # offsets must stay the original's
        found: list[tuple[int, int]] = []
        for word in words:
            w = word.lower() if folded is not text else word
            start = folded.find(w)
            while start >= 0 and len(found) < MAX_SPANS_PER_FIELD:
                found.append((start, start + len(w)))
                start = folded.find(w, start + len(w))
        spans.extend((field, s, e) for s, e in sorted(set(found)))
    return spans


def flag_spans(words: list[str], fields: dict[str, str]) -> list[tuple[str, int, int]]:
    """(field, start, end) of a scheme flag's words, found as analysis finds them (folded: 學校 shows as a
    match of 学校), so the dashboard can mark why a post was flagged."""
    if not words:
        return []
    finder = WordFinder(words)
    spans: list[tuple[str, int, int]] = []
    for field, text in fields.items():
        spans.extend((field, start, end) for _, start, end in finder.find(text)[:MAX_SPANS_PER_FIELD])
    return spans


def scoped_units(principal: Principal, requested: list[str] | None) -> tuple[str, ...]:
    """The unit filter a search runs with: what was asked, within the user's units (all of them if nothing)."""
    if principal.scope is None:
        return tuple(requested or ())
    if requested:
        outside = sorted(u for u in requested if u not in principal.scope)
        if outside:
            raise HTTPException(403, f"outside your units: {', '.join(outside)}")
        return tuple(requested)
    return tuple(sorted(principal.scope))
