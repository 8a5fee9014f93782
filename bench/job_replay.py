"""The scheduled analysis job's own cost (and `yuqing analyse --json`'s over the analyser), with the analyser
replayed: the analyses the real analyser gave for these posts are recorded once, and an analyser that hands them
back stands in for it, so the whole timed run is the job's own work — its reads, events, words from the stored
tokens, `Mention`s and writes (or, with `--path json`, the command's events among the lines and its JSON).

    python bench/job_replay.py [--texts 3000] [--path job|json] [--postgres ADMIN_DSN] [--cache DIR]

prints CPU and wall µs a mention. The first run records the analyses and the stored posts under `--cache` (default
a directory in the temporary directory named by the text count); later runs copy the stored file and read the
recording before the clock. In instructions, steady on a shared machine (the run minus the same run stopping
before the job, ÷ texts):

    OPENBLAS_NUM_THREADS=1 PYTHONHASHSEED=0 valgrind --tool=cachegrind --cache-sim=no \\
        --cachegrind-out-file=/dev/null python bench/job_replay.py --texts 3000 [--stop-before-job]

Run main's code with the same script (`PYTHONPATH=/path/to/main python bench/job_replay.py ...`) for a pair: the
recording is made once and replayed by both.
"""

from __future__ import annotations

import argparse
import os
import pickle
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from analysis_speed import real_texts, throwaway_postgres  # bench/ is on sys.path when a bench script runs

from analysis.analyser import Analyser
from analysis.job import analyse_pending
from analysis.standalone import json_lines
from config import Config, load_config
from store.mentions import Analysis, NewMention
from store.mentions.sqlite import SqliteMentionStore
from store.tokens import words_from_tokens
from store.workflow import make_engine, make_session_factory
from store.workflow.migrate import upgrade
from yuqing.heap import settle_heap

REPO = Path(__file__).resolve().parent.parent


class Recorder:
    """The real analyser, each analysis kept by the text it was given."""

    def __init__(self, analyser: Analyser) -> None:
        self.config = analyser.config
        self._analyser = analyser
        self.seen: dict[tuple[str, str], Analysis] = {}

    def analyse(self, *, title: str, content: str, **kwargs: Any) -> Analysis:
        found = self.seen[(title, content)] = self._analyser.analyse(title=title, content=content, **kwargs)
        return found


class Replay:
    """Hands back the recorded analysis of the text (a dict look-up: the replay's only cost beside the job's)."""

    def __init__(self, config: Config, seen: dict[tuple[str, str], Analysis]) -> None:
        self.config = config
        self._seen = seen

    def analyse(self, *, title: str, content: str, **_: Any) -> Analysis:
        return self._seen[(title, content)]


def _title_content(text: str) -> tuple[str, str]:
    title, _, content = text.partition("\n")
    return (title, content) if content else ("", title)


def _store_posts(path: Path, texts: list[str], start: datetime) -> SqliteMentionStore:
    store = SqliteMentionStore(path)
    for i in range(0, len(texts), 1000):
        store.upsert_many(
            [
                NewMention("bench", str(n), f"http://b/{n}", *_title_content(text))
                for n, text in enumerate(texts[i : i + 1000], start=i)
            ],
            now=start + timedelta(seconds=i),
        )
    return store


def _lines(texts: list[str]) -> list[str]:
    return [" ".join(t.split()) for t in texts]  # one post a line, as `yuqing analyse` reads them


def prepare(cache: Path, texts: list[str], config: Config) -> None:
    """The stored posts (never analysed) and the real analyser's analyses for the job and for the command."""
    cache.mkdir(parents=True, exist_ok=True)
    start = datetime.now(UTC) - timedelta(hours=1)
    _store_posts(cache / "mentions.sqlite3", texts, start).close()
    recorder = Recorder(Analyser(config))
    with tempfile.TemporaryDirectory(prefix="yuqing-replay-") as tmp:
        shutil.copy(cache / "mentions.sqlite3", Path(tmp) / "mentions.sqlite3")
        store = SqliteMentionStore(Path(tmp) / "mentions.sqlite3")
        url = f"sqlite:///{Path(tmp) / 'workflow.sqlite3'}"
        upgrade(url)
        engine = make_engine(url)
        analyse_pending(store, recorder, sessions=make_session_factory(engine), max_batches=10**9)  # type: ignore[arg-type]
        store.close()
        engine.dispose()
        for _ in json_lines(config, _lines(texts), analyser=recorder):  # type: ignore[arg-type]
            pass
    with (cache / "analyses.pickle").open("wb") as f:
        pickle.dump(recorder.seen, f, protocol=pickle.HIGHEST_PROTOCOL)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--texts", type=int, default=3000)
    parser.add_argument("--path", choices=["job", "json"], default="job")
    parser.add_argument("--postgres", metavar="ADMIN_DSN", help="the job's events on a throw-away database")
    parser.add_argument("--stop-before-job", action="store_true", help="everything but the timed part")
    parser.add_argument("--cache", type=Path)
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared" / "data")
    args = parser.parse_args()
    config = load_config(REPO / "config" / "example")
    texts = real_texts(args.shared, args.texts)
    cache = args.cache or Path(tempfile.gettempdir()) / f"yuqing-job-replay-{args.texts}"
    if not (cache / "analyses.pickle").exists():
        print(f"recording the analyser's analyses in {cache} (once)")
        prepare(cache, texts, config)
    with (cache / "analyses.pickle").open("rb") as f:
        replay = Replay(config, pickle.load(f))
    words_from_tokens(["分析"])  # the segmenter loaded before the clock, as the real job's analyser has it
    with tempfile.TemporaryDirectory(prefix="yuqing-replay-") as tmp:
        if args.path == "json":
            lines = _lines(texts)
            settle_heap()
            started, cpu = time.perf_counter(), time.process_time()
            if not args.stop_before_job:
                for _ in json_lines(config, lines, analyser=replay):  # type: ignore[arg-type]
                    pass
            _report("analyse --json over the analyser", len(lines), started, cpu)
            return
        shutil.copy(cache / "mentions.sqlite3", Path(tmp) / "mentions.sqlite3")
        store = SqliteMentionStore(Path(tmp) / "mentions.sqlite3")
        with (
            throwaway_postgres(args.postgres, "yuqing_replay")
            if args.postgres
            else _nothing(f"sqlite:///{Path(tmp) / 'w.sqlite3'}") as url
        ):
            upgrade(url)
            engine = make_engine(url)
            sessions = make_session_factory(engine)
            settle_heap()
            started, cpu = time.perf_counter(), time.process_time()
            done = 0
            if not args.stop_before_job:
                done = analyse_pending(store, replay, sessions=sessions, max_batches=10**9)  # type: ignore[arg-type]
                assert done == len(texts), done
            _report(f"job's own cost, {'PostgreSQL' if args.postgres else 'SQLite'} events", len(texts), started, cpu)
            engine.dispose()
        store.close()


@contextmanager
def _nothing(value: str) -> Iterator[str]:
    yield value


def _report(label: str, count: int, started: float, cpu: float) -> None:
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"{label}: {count} texts, CPU {cpu / count * 1e6:.1f} µs a text, wall {wall / count * 1e6:.1f}; load {load}")


if __name__ == "__main__":
    main()
