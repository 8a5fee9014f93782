"""The process heap once start-up has built what lives as long as the process (the app, the analyser)."""

from __future__ import annotations

import gc

# Allocations between young-generation collections once the heap is settled (CPython's default is 700): a request
# or an analysis batch allocates thousands of short-lived objects, and each collection also walked what survived
# the ones before.
GEN0_THRESHOLD = 10_000


def settle_heap() -> None:
    """What start-up made (configuration, routes, models, tables, the analyser's word lists and automata) lives as
    long as the process, so it is moved out of the collector's sight (gc.freeze) instead of being traversed again
    by every full collection, and young collections run less often. Call again after building another long-lived
    part: each call freezes what exists by then."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(GEN0_THRESHOLD, middle, old)


def release_heap() -> None:
    """Before dropping a long-lived part that was settled (a rebuilt analyser): frozen objects are never collected,
    so they go back into the collector's sight; the next `settle_heap` freezes what is still alive."""
    gc.unfreeze()
