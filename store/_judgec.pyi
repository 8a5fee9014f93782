"""store/_judgec.c: the grader's and the post type's per-word loops, compiled (analysis/judgec.py)."""

from collections.abc import Sequence
from typing import Any, TypeAlias

import numpy.typing as npt
from typing_extensions import Buffer

# numpy arrays hand over their memory (C-contiguous) as any buffer does.
Array: TypeAlias = Buffer | npt.NDArray[Any]

class Rows:
    count: int
    def __init__(self, table: Array, width: int, /) -> None: ...
    def mean(self, index: dict[str, int], words: Sequence[str], /) -> tuple[float, ...]: ...
    def scored(
        self,
        index: dict[str, int],
        words: Sequence[str] | set[str] | frozenset[str],
        scale: float,
        column: int,
        evidence: dict[str, float],
        skip: frozenset[str] | set[str],
        /,
    ) -> tuple[tuple[float, ...], int]: ...
    def scores(
        self,
        bias: Sequence[float],
        index: dict[str, int],
        found: dict[str, float],
        dense: Array | None,
        word_index: dict[str, int],
        words: Sequence[str] | set[str] | frozenset[str],
        heading_index: dict[str, int],
        heading_words: Sequence[str] | set[str] | frozenset[str],
        /,
    ) -> list[float]: ...

class Pools:
    def __init__(self, padded: Array, stopped: Array, dim: int, /) -> None: ...
    def gather(
        self, index: dict[str, int], heading_words: Sequence[str], words: Sequence[str], folded: str, /
    ) -> tuple[bytes, bytes, bytes]: ...
    def pool(self, sums: Array, heading_sum: Array, kinds: str, scales: Sequence[float], /) -> bytes: ...
