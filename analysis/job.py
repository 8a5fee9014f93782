"""The scheduled analysis job: claim unanalysed mentions in batches and store their analyses.

Idempotent and resumable: a mention stays pending until its analysis is saved, so a crash mid-batch only
means that batch is analysed again.
"""

from __future__ import annotations

import logging

from analysis.analyser import Analyser
from store.mentions import Analysis, MentionStore

log = logging.getLogger(__name__)


def analyse_pending(store: MentionStore, analyser: Analyser, *, batch: int = 200, max_batches: int = 50) -> int:
    done = 0
    for _ in range(max_batches):
        pending = store.pending_analysis(batch)
        if not pending:
            break
        results: list[tuple[str, Analysis]] = []
        for mention in pending:
            try:
                analysis = analyser.analyse(title=mention.title, content=mention.content, default_unit=mention.unit)
            except Exception as exc:  # one bad text must never stop the job
                log.exception("analysis failed for %s", mention.id)
                analysis = Analysis(
                    tokens=[],
                    sentiment=0.0,
                    sentiment_label="neutral",
                    flags=[],
                    level=0,
                    unit=mention.unit,
                    explanation=[f"分析失败：{type(exc).__name__}"],
                )
            results.append((mention.id, analysis))
        store.save_analysis(results)
        done += len(results)
    if done:
        log.info("analysed %d mentions, backlog %d", done, store.backlog())
    return done
