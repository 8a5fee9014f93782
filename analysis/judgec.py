"""The grader's and the post type's per-word loops compiled (store/_judgec.c), when the extension was built: the
same sums in the same order and precision as the Python path, so the same grades (tests/analysis/test_judgec.py).
Without it (no C compiler at install) the Python path runs, slower, and the log says so once."""

from __future__ import annotations

import functools
import sys
from types import ModuleType
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from store.compiled import optional_module

if TYPE_CHECKING:
    from store._judgec import Pools, Rows

MAX_WIDTH = 64  # numbers a row store/_judgec.c's Rows holds


@functools.cache
def module() -> ModuleType | None:
    return optional_module(
        "_judgec", (), "编译的研判模块（store/_judgec.c）未能加载，改由 Python 计算：结果相同，速度较慢。"
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
