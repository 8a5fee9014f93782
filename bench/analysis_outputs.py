"""Every analysis output on a fixed set of texts, as JSON lines, to compare two versions of the code: a speed-up
must not change one of them. The graded DEV complaint-board posts (../shared/data/complaint_severity, 768) and
the analysis bench's real posts (bench/analysis_speed.py's texts), each analysed with and without a title, with
the grade (level probabilities, post type, evidence) and the sentiment (score, label, evidence) as the analyser
computed them beside the stored `Analysis`; then the `yuqing analyse --json` lines and the scheduled job's
stored analyses of the bench texts (events included).

    python bench/analysis_outputs.py --write before.jsonl [--texts 2000]
    python bench/analysis_outputs.py --compare before.jsonl [--texts 2000]   # exits 1 on any difference
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from analysis_speed import real_texts  # bench/ is on sys.path when a bench script runs

from analysis.analyser import Analyser, _words
from analysis.facts import find_facts
from analysis.job import analyse_pending
from analysis.post_type import heading_of
from analysis.standalone import analyse_texts
from config import load_config
from store.mentions import NewMention, mention_id
from store.mentions.sqlite import SqliteMentionStore
from store.tokens import search_tokens
from store.workflow import make_engine, make_session_factory
from store.workflow.migrate import upgrade

REPO = Path(__file__).resolve().parent.parent
AT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)  # a fixed time: the calendar's sensitive periods depend on it


def dev_texts(shared: Path) -> list[str]:
    labels = shared / "complaint_severity" / "dev_labels.jsonl"
    if not labels.exists():
        return []
    with labels.open(encoding="utf-8") as f:
        return [json.loads(line)["text"] for line in f if line.strip()]


def _split(text: str) -> tuple[str, str]:
    title, _, content = text.partition("\n")
    if content:
        return title, content
    head, sep, rest = text.partition("。")
    return (head, rest) if sep and rest else ("", text)


def outputs(shared: Path, count: int) -> Iterator[dict[str, Any]]:
    config = load_config(REPO / "config" / "example")
    analyser = Analyser(config)
    dev = dev_texts(shared)
    bench = real_texts(shared, count)
    for kind, texts in (("dev", dev), ("bench", bench)):
        for n, text in enumerate(texts):
            for titled, (title, content) in (("untitled", ("", text)), ("titled", _split(text))):
                result = analyser.analyse(title=title, content=content, at=AT, source="baixing")
                yield {"kind": kind, "n": n, "how": titled, "analysis": dataclasses.asdict(result)}
            yield {"kind": kind, "n": n, "how": "parts", **_parts(analyser, text)}
    for line in analyse_texts(config, bench):
        line.pop("event", None)  # its id is random; the copies and similarity are in the explanation
        yield {"kind": "cli", **line}
    yield from _job(config, bench)


def _parts(analyser: Analyser, text: str) -> dict[str, Any]:
    """The grade and the sentiment at full precision (the stored analysis rounds them)."""
    title_words, words = _words("", text)
    facts = find_facts(words)
    grade = analyser.grader.grade(title_words, words, facts, heading=heading_of("", text), text=text)
    z, hits = analyser.sentiment.logit(text, words)
    return {
        "grade": repr(grade),
        "logit": repr(z),
        "hits": repr(sorted(hits)),
        "sentiment": repr(analyser.sentiment.score(text, words)),
        "tokens": search_tokens(words),
    }


def _job(config: Any, texts: list[str]) -> Iterator[dict[str, Any]]:
    with tempfile.TemporaryDirectory(prefix="yuqing-outputs-") as tmp:
        store = SqliteMentionStore(Path(tmp) / "mentions.sqlite3")
        url = f"sqlite:///{Path(tmp) / 'workflow.sqlite3'}"
        upgrade(url)
        engine = make_engine(url)
        sessions = make_session_factory(engine)
        start = datetime.now(UTC) - timedelta(hours=1)
        store.upsert_many(
            [NewMention("bench", str(n), f"http://b/{n}", *_split(t)) for n, t in enumerate(texts)],
            now=start,
        )
        analyse_pending(store, Analyser(config), sessions=sessions, max_batches=10**9)
        for n in range(len(texts)):
            mention = store.get(mention_id("bench", str(n)))
            assert mention is not None and mention.analysis is not None
            stored = dataclasses.asdict(mention.analysis)
            stored.pop("event_id", None)
            yield {"kind": "job", "n": n, "analysis": stored}
        store.close()
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=2000)
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared" / "data")
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--write", type=Path)
    group.add_argument("--compare", type=Path)
    args = parser.parse_args()
    lines = (json.dumps(o, ensure_ascii=False, sort_keys=True) for o in outputs(args.shared, args.texts))
    if args.write:
        with args.write.open("w", encoding="utf-8") as f:
            written = sum(1 for line in lines if f.write(line + "\n"))
        print(f"{written} outputs written to {args.write}")
        return
    with args.compare.open(encoding="utf-8") as f:
        before = [line.rstrip("\n") for line in f]
    after = list(lines)
    differ = [i for i, (a, b) in enumerate(zip(before, after, strict=False)) if a != b]
    print(f"{len(after)} outputs against {len(before)}: {len(differ)} differ")
    for i in differ[:5]:
        print("before:", before[i][:600], "\nafter: ", after[i][:600], sep="")
    if differ or len(before) != len(after):
        sys.exit(1)


if __name__ == "__main__":
    main()
