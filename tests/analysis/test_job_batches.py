"""The analysis job's batch choice: the oldest pending mentions plus a lane of the newest, read newest first so no
row is read only to be dropped — the same mentions in the same order as reading the oldest batch first and
dropping what the lane took, for every mix of never-analysed and queued-again mentions and batch size."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from analysis.job import FRESH_LANE, next_batch
from store.mentions import Analysis, Mention, MentionSearch, NewMention
from store.mentions.sqlite import SqliteMentionStore

T0 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


def reference(store: MentionSearch, size: int) -> list[str]:
    """The choice as first written: the oldest batch, and with a backlog the lane's newest in place of its last."""
    oldest = store.pending_analysis(size)
    lane = min(FRESH_LANE, size // 4)
    if len(oldest) < size or not lane:
        return [m.id for m in oldest]
    newest = store.pending_analysis(lane, newest_first=True)
    taken = {m.id for m in newest}
    chosen = newest + [m for m in oldest if m.id not in taken][: size - len(newest)]
    return [m.id for m in sorted(chosen, key=lambda m: m.discovered_at)]


class PendingOnly:
    """A store with only the MentionSearch reads the job uses (no tokens read along): the job's other path."""

    def __init__(self, store: SqliteMentionStore) -> None:
        self.store = store

    def pending_analysis(self, limit: int, *, newest_first: bool = False) -> list[Mention]:
        return self.store.pending_analysis(limit, newest_first=newest_first)


def _done(mention_id: str) -> tuple[str, Analysis]:
    return mention_id, Analysis(
        tokens=[], sentiment=0.0, sentiment_label="neutral", flags=[], level=0, unit=None, explanation=[]
    )


@pytest.mark.parametrize("seed", range(6))
def test_the_batch_is_the_oldest_and_the_newest_lane_in_discovery_order(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    store = SqliteMentionStore(tmp_path / "m.sqlite3")
    # Posts crawled in bursts (equal discovery times: ties go by row order), some analysed and queued again.
    number = 0
    for burst in range(rng.randint(1, 12)):
        count = rng.randint(1, 9)
        posts = [
            NewMention("s", str(number + i), f"http://x/{number + i}", "", f"帖子{number + i}") for i in range(count)
        ]
        store.upsert_many(posts, now=T0 + timedelta(minutes=rng.choice([burst, burst // 2])))
        number += count
    analysed = rng.sample(range(number), rng.randint(0, number))
    store.save_analysis([_done(f"s:{i}") for i in analysed])
    store.request_reanalysis(since=T0 + timedelta(minutes=rng.randint(0, 6)))
    for size in [*range(1, 45), 200]:
        expected = reference(store, size)
        assert [m.id for m, _ in next_batch(store, size)] == expected, size
        assert [m.id for m, _ in next_batch(PendingOnly(store), size)] == expected, size  # type: ignore[arg-type]
    store.close()


def test_too_many_ids_to_pass_over_are_refused(tmp_path: Path) -> None:
    store = SqliteMentionStore(tmp_path / "m.sqlite3")
    with pytest.raises(ValueError, match="at most"):
        store.pending_with_tokens(10, exclude={str(i) for i in range(501)})
    store.close()
