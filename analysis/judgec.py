"""The grader's and the post type's per-word loops compiled (store/_judgec.c), when the extension was built: the
same sums in the same order and precision as the Python path, so the same grades (tests/analysis/test_judgec.py).
Without it (no C compiler at install) the Python path runs, slower, and the log says so once."""

from __future__ import annotations

import functools
import importlib
import re
import sys
from types import ModuleType
from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np
import numpy.typing as npt

from store.compiled import optional_module

if TYPE_CHECKING:
    from store._judgec import Index, Pools, Rows

MAX_WIDTH = 64  # numbers a row store/_judgec.c's Rows holds
Lookup: TypeAlias = "Index | dict[str, int]"  # word -> row, as the compiled loops take it


@functools.cache
def module() -> ModuleType | None:
    return optional_module(
        "_judgec",
        ("Cues", "Index"),
        "编译的研判模块（store/_judgec.c）未能加载，改由 Python 计算：结果相同，速度较慢。",
    )


_INTERNED: dict[int, tuple[dict[str, int], dict[str, int]]] = {}


def interned(index: dict[str, int]) -> dict[str, int]:
    """`index` with its keys interned (the same words, the same rows), made once per index and held: the tokeniser
    hands out interned words (store/_jiebac.c's token cache), and a dict finds an interned key by identity, without
    reading the key's characters — a trip to memory a word saved. `index` must not change afterwards."""
    held = _INTERNED.get(id(index))
    if held is None or held[0] is not index:
        held = (index, intern_keys(index))
        _INTERNED[id(index)] = held
    return held[1]


def intern_keys(index: dict[str, int]) -> dict[str, int]:
    """A copy of `index` whose keys are interned (see `interned`)."""
    return {sys.intern(word): row for word, row in index.items()}


def lookup(index: dict[str, int]) -> Lookup:
    """`index` (word -> row) as the compiled loops read it fastest: its keys interned, in a store/_judgec.c Index
    (one memory access a word where a dict makes three) when built, else the interned dict. `get`, `in` and `len`
    work on both. Made once per index and held (see `interned`): `index` must not change afterwards."""
    held = _LOOKUPS.get(id(index))
    if held is None or held[0] is not index:
        held = (index, table(intern_keys(index)))
        _LOOKUPS[id(index)] = held
    return held[1]


_LOOKUPS: dict[int, tuple[dict[str, int], Lookup]] = {}


def table(index: dict[str, int]) -> Lookup:
    """`index` in a store/_judgec.c Index when built, else `index` itself."""
    compiled = module()
    if compiled is None:
        return index
    found: Index = compiled.Index(index)
    return found


def rows(table: npt.NDArray[np.float64]) -> Rows | None:
    """`table` (rows × width, float64) read by word in C; None without the extension. The table is held, not
    copied: it must not change afterwards."""
    compiled = module()
    if compiled is None:
        return None
    held = np.ascontiguousarray(table, dtype=np.float64)
    rows: Rows = compiled.Rows(held, int(held.shape[1]))
    return rows


def pools(padded: npt.NDArray[np.float32], stopped: npt.NDArray[np.bool_]) -> Pools | None:
    """The word-vector table (a zero row last) and its stopword flags for the pooled vectors in C; None without
    the extension."""
    compiled = module()
    if compiled is None:
        return None
    vectors = np.ascontiguousarray(padded, dtype=np.float32)
    flags = np.ascontiguousarray(stopped, dtype=np.uint8)
    pools: Pools = compiled.Pools(vectors, flags, int(vectors.shape[1]))
    return pools


# A cue pattern as store/_judgec.c's Cues reads it: (begins: anchored at the start, ends: anchored at the end, the
# alternatives), each alternative (its characters, what must not follow them, characters that may repeat between
# them and the end).
Alternative = tuple[str, tuple[str, ...], str]
Literals = tuple[bool, bool, tuple[Alternative, ...]]

MAX_ALTERNATIVES = 512  # a pattern expanding to more strings stays with Python's re
_RE_PARSER: Any = importlib.import_module("re._parser")  # private but stable since 3.11; no stub
_RE_CONSTANTS: Any = importlib.import_module("re._constants")


def literals(pattern: re.Pattern[str]) -> Literals | None:
    """`pattern` as finitely many strings, when it is one: ^ and $ only around the whole, alternatives, character
    sets of single characters, groups, bounded repeats, a negative lookahead of such strings ending an alternative
    (请(?!问|教)) and, before $, one repeated set of characters ([吗呢][。！]*$). Anything else (., ranges,
    categories, flags, unbounded repeats elsewhere) gives None: the caller keeps Python's re. The C matcher then
    answers `pattern.search(s) is not None` for every s (tests/analysis/test_judgec.py)."""
    if pattern.flags & ~re.UNICODE:
        return None
    c = _RE_CONSTANTS
    try:
        items = list(_RE_PARSER.parse(pattern.pattern, pattern.flags))
    except Exception:  # what re accepted, the parser accepts; this only guards a changed private module
        return None
    begins = bool(items) and items[0] == (c.AT, c.AT_BEGINNING)
    ends = bool(items) and items[-1] == (c.AT, c.AT_END)
    items = items[int(begins) : len(items) - int(ends)]
    found = _sequence(items, ends)
    if found is None:
        return None
    return begins, ends, tuple(dict.fromkeys(found))


def _sequence(items: list[tuple[Any, Any]], ends: bool) -> list[Alternative] | None:
    """The strings a sequence of parsed items matches; None when it is not a finite set of the supported form."""
    c = _RE_CONSTANTS
    out: list[Alternative] = [("", (), "")]
    for op, av in items:
        part: list[Alternative] | None
        if op is c.LITERAL:
            part = [(chr(av), (), "")]
        elif op is c.IN:
            part = [(chr(v), (), "") for o, v in av if o is c.LITERAL] if all(o is c.LITERAL for o, _ in av) else None
        elif op is c.BRANCH:
            branches = [_sequence(list(branch), ends) for branch in av[1]]
            part = None if any(b is None for b in branches) else [a for b in branches if b is not None for a in b]
        elif op is c.SUBPATTERN:
            _, add_flags, del_flags, inner = av
            part = _sequence(list(inner), ends) if not add_flags and not del_flags else None
        elif op is c.MAX_REPEAT or op is c.MIN_REPEAT:
            part = _repeat(av, ends)
        elif op is c.ASSERT_NOT and av[0] == 1:
            inner = _sequence(list(av[1]), False)
            part = (
                None if inner is None or any(n or t for _, n, t in inner) else [("", tuple(s for s, _, _ in inner), "")]
            )
        else:
            part = None
        if part is None:
            return None
        joined: list[Alternative] = []
        for text, never, then in out:
            for more, more_never, more_then in part:
                if (never or then) and (more or more_never or more_then):
                    return None  # something after a lookahead or a trailing repeat
                joined.append((text + more, never or more_never, then or more_then))
        if len(joined) > MAX_ALTERNATIVES:
            return None
        out = joined
    return out


def _repeat(av: tuple[int, Any, Any], ends: bool) -> list[Alternative] | None:
    low, high, inner = av
    one = _sequence(list(inner), ends)
    if one is None or any(n or t for _, n, t in one):
        return None
    if high is _RE_CONSTANTS.MAXREPEAT:
        # Only a set of single characters repeated any number of times, before the end: (…)[。！]*$
        if not ends or low != 0 or any(len(s) != 1 for s, _, _ in one):
            return None
        return [("", (), "".join(s for s, _, _ in one))]
    if high > 8:
        return None
    found: list[Alternative] = []
    for count in range(low, high + 1):
        strings = [""]
        for _ in range(count):
            strings = [s + t for s in strings for t, _, _ in one]
            if len(strings) > MAX_ALTERNATIVES:
                return None
        found += [(s, (), "") for s in strings]
    return found
