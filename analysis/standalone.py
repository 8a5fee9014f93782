"""Analysis of texts outside the service (`yuqing analyse`, evaluations, scripts): same analyser, and events
among the given texts from an in-memory event index."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from analysis.analyser import Analyser
from analysis.events.memory import MemoryIndex
from analysis.events.service import EventInput, assign_many
from analysis.facts import FACTS
from config import Config, Level

FACT_NAMES = {f.id: f.zh for f in FACTS}
BATCH = 200  # lines whose events are found together
MAX_INPUT_CHARS = 1_000_000  # beyond this a line is refused, not analysed: nobody pastes a novel by mistake twice
# json.dumps(result, ensure_ascii=False)'s text from one encoder: json.dumps with an argument builds a new one a call.
_encode = json.JSONEncoder(ensure_ascii=False).encode


def json_lines(
    config: Config, texts: Iterable[str], *, source: str | None = None, analyser: Analyser | None = None
) -> Iterator[str]:
    """`analyse_texts` as `yuqing analyse --json` writes it: one JSON text a result."""
    for result in analyse_texts(config, texts, source=source, analyser=analyser):
        yield _encode(result)


def analyse_texts(
    config: Config, texts: Iterable[str], *, source: str | None = None, analyser: Analyser | None = None
) -> Iterator[dict[str, Any]]:
    """One JSON-ready dict per text: tokens, sentiment, flags with words and offsets, unit, event, level and
    explanation — or `rejected` with the reason. `analyser`: one built from `config` already (the command's,
    settled before the texts are read)."""
    analyser = analyser or Analyser(config)
    settings = config.analysis.events
    index = MemoryIndex()  # events among the given texts only
    now = datetime.now(UTC)
    numbered = enumerate(texts, start=1)
    while chunk := list(itertools.islice(numbered, BATCH)):
        reasons = [_rejected(text) for _, text in chunk]  # each line judged once
        accepted = [line for line, reason in zip(chunk, reasons, strict=True) if not reason]
        items = [EventInput(f"line:{n}", source or "stdin", "", text, now) for n, text in accepted]
        events = dict(zip((n for n, _ in accepted), assign_many(index, items, settings=settings), strict=True))
        for (number, text), reason in zip(chunk, reasons, strict=True):
            if reason:
                yield {"line": number, "text": text[:200], "rejected": reason}
                continue
            event = events[number]
            result = analyser.analyse(title="", content=text, source=source, at=now, event=event)
            yield {
                "line": number,
                "text": text,
                "tokens": result.tokens,
                "sentiment": result.sentiment,
                "sentiment_label": result.sentiment_label,
                "flags": [{"scheme": f.scheme, "words": f.words, "positions": f.positions} for f in result.flags],
                "unit": result.unit,
                "event": None
                if event is None
                else {"id": event.id, "copies": event.copies, "sources": event.sources, "similarity": event.similarity},
                "post_type": result.post_type,
                "facts": [{"fact": fact, "name": FACT_NAMES[fact], "words": words} for fact, words in result.facts],
                "level": result.level,
                "level_zh": Level(result.level).zh if result.level else "无",
                "explanation": result.explanation,
            }


def _rejected(text: str) -> str | None:
    if not text or text.isspace():  # what strip() would empty, without copying the line
        return "空文本"
    if len(text) > MAX_INPUT_CHARS:
        return f"文本过长（{len(text)} 字，上限 {MAX_INPUT_CHARS}）"
    return None
