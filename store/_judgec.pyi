"""store/_judgec.c: the grader's and the post type's per-word loops, compiled (analysis/judgec.py)."""

from collections.abc import Sequence
from typing import Any, TypeAlias

import numpy.typing as npt
from typing_extensions import Buffer

# numpy arrays hand over their memory (C-contiguous) as any buffer does.
Array: TypeAlias = Buffer | npt.NDArray[Any]

class Index:
    def __init__(self, mapping: dict[str, int], /) -> None: ...
    def get(self, word: str, default: int | None = None, /) -> int | None: ...
    def __len__(self) -> int: ...
    def __contains__(self, word: object) -> bool: ...

Lookup: TypeAlias = Index | dict[str, int]

class Rows:
    count: int
    def __init__(self, table: Array, width: int, /) -> None: ...
    def mean(self, index: Lookup, words: Sequence[str], /) -> tuple[float, ...]: ...
    def scored(
        self,
        index: Lookup,
        words: Sequence[str] | set[str] | frozenset[str],
        scale: float,
        column: int,
        evidence: dict[str, float],
        skip: frozenset[str] | set[str],
        /,
    ) -> tuple[tuple[float, ...], int]: ...
    def grade(
        self,
        word_index: Lookup,
        words: set[str],
        title_index: Lookup,
        title_words: set[str],
        column: int,
        evidence: dict[str, float],
        skip: frozenset[str] | set[str],
        facts: Sequence[float] | None,
        vector_index: Lookup,
        title_rows: Rows,
        title_list: Sequence[str],
        post_rows: Rows,
        word_list: Sequence[str],
        /,
    ) -> tuple[tuple[float, ...], int]: ...
    def scores(
        self,
        bias: Sequence[float],
        index: dict[str, int],
        found: dict[str, float],
        dense: Array | None,
        word_index: Lookup,
        words: Sequence[str] | set[str] | frozenset[str],
        heading_index: Lookup,
        heading_words: Sequence[str] | set[str] | frozenset[str],
        /,
    ) -> list[float]: ...

class Pools:
    def __init__(self, padded: Array, stopped: Array, dim: int, /) -> None: ...
    def gather(
        self, index: Lookup, heading_words: Sequence[str], words: Sequence[str], folded: str, /
    ) -> tuple[bytes, bytes, bytes]: ...
    def pool(self, sums: Array, heading_sum: Array, kinds: str, scales: Sequence[float], /) -> bytes: ...

class Cues:
    def __init__(
        self,
        rows: Rows,
        cue_index: dict[str, int],
        type_rows: tuple[int, ...],
        body_rows: tuple[int, ...],
        density_rows: tuple[int, ...],
        forms: tuple[tuple[object, int], ...],
        question: str,
        question_rows: tuple[int, int, int],
        sentence_cues: tuple[tuple[object, int], ...],
        picks: tuple[int, int, int],
        asking: tuple[object, ...],
        courtesy: object,
        courtesy_row: int,
        ends: str,
        courtesy_chars: int,
        s_rows: tuple[int, ...],
        body_cap: int,
        body_density: float,
        sentence_cap: int,
        scale: float,
        /,
    ) -> None: ...
    def scores(
        self,
        bias: Sequence[float],
        heading: str,
        text: str,
        words: list[str],
        heading_words: set[str],
        fact_rows: tuple[int, ...],
        kin_rows: tuple[int, ...],
        dense: Array | None,
        word_index: Lookup,
        body: set[str],
        heading_index: Lookup,
        /,
    ) -> list[float]: ...

def search(pattern: object, text: str, /) -> bool: ...
