"""Compiled jieba ports against jieba itself, token by token, on the DEV corpora, with the configuration's user
dictionary: would swapping the tokeniser behind store/tokens.py change a single token? And how much faster.
store._jiebac is Yuqing's own compiled port (store/_jiebac.c), the one store.tokens uses; it is compared here on
jieba's unfiltered output (spaces and punctuation included).

    python bench/tokeniser_agreement.py [--config config/example] [--limit 20000] [--shared ../shared/data]

Each tokeniser gets the same user dictionary the service adds (store.tokens.config_words, normalised, with the
frequency jieba's suggest_freq gives, at least 10,000). Texts are normalised first, as store.tokens does. Printed
per corpus: texts whose accurate-mode (lcut) and search-mode tokens are identical to jieba's, tokens that
differ, and CPU time per text beside wall time (jieba's own in the same run is the peer). Candidates that are not
installed are listed as such (rjieba: `pip install rjieba`; jieba_fast_dat: `pip install jieba-fast-dat`).
"""

from __future__ import annotations

import argparse
import csv
import difflib
import json
import logging
import os
import random
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from runinfo import bench_run  # bench/ is on sys.path when a bench script runs

REPO = Path(__file__).resolve().parent.parent


def corpora(shared: Path, limit: int) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    graded = shared / "complaint_severity" / "dev_labels.jsonl"
    if graded.exists():
        with graded.open(encoding="utf-8") as f:
            found["complaint_severity"] = [json.loads(line)["text"] for line in f if line.strip()]
    full = shared / "taidi2020_full" / "messages_7class.csv"
    if full.exists():
        with full.open(encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        keys = list(rows[0]) if rows else []
        title = next((k for k in keys if "主题" in k), None)
        body = next((k for k in keys if "详情" in k), None)
        if title and body:
            found["taidi2020_full"] = [f"{r[title]}\n{' '.join(r[body].split())}" for r in rows]
    gov = shared / "taidi2020_gov_messages" / "messages_labeled.csv"
    if gov.exists():
        with gov.open(encoding="utf-8") as f:
            found["taidi2020_gov_messages"] = [
                f"{r['留言主题']}\n{' '.join(r['留言详情'].split())}" for r in csv.DictReader(f)
            ]
    weibo = shared / "covid19_weibo_unlabeled" / "weibo_posts.csv"
    if weibo.exists():
        with weibo.open(encoding="utf-8") as f:
            found["covid19_weibo"] = [r["text"] for r in csv.DictReader(f)]
    for name, path, column in [
        ("weibo_senti_2400", "weibo_senti_100k_subset2400/weibo_senti_2400.csv", "review"),
        ("chnsenticorp", "chnsenticorp_12k/chnsenticorp.csv", "text"),
        ("waimai_10k", "sophonplus_waimai_10k/waimai_10k.csv", "review"),
    ]:
        if (shared / path).exists():
            with (shared / path).open(encoding="utf-8") as f:
                found[name] = [r[column] for r in csv.DictReader(f) if r.get(column)]
    for name, texts in found.items():
        random.Random(1).shuffle(texts)
        found[name] = texts[:limit]
    return found


class Candidate:
    def __init__(self, name: str, lcut: Callable[[str], list[str]], search: Callable[[str], list[str]]) -> None:
        self.name, self.lcut, self.search = name, lcut, search


def user_words(config_dir: Path) -> list[tuple[str, int]]:
    """(word, frequency) exactly as store.tokens adds them, computed on a fresh jieba."""
    import jieba

    from config import load_config
    from store.tokens import config_words, normalise

    jieba.setLogLevel(logging.WARNING)
    reference = jieba.Tokenizer()
    reference.initialize()
    out: list[tuple[str, int]] = []
    for word in sorted(config_words(load_config(config_dir))):
        word = normalise(word).strip()
        if word:
            freq = max(reference.suggest_freq(word, False), 10_000)
            reference.add_word(word, freq=freq)
            out.append((word, freq))
    return out


def candidates(words: list[tuple[str, int]]) -> tuple[Candidate, list[Candidate], list[str]]:
    import jieba

    reference = jieba.Tokenizer()
    reference.initialize()
    for word, freq in words:
        reference.add_word(word, freq=freq)
    jieba_c = Candidate("jieba", reference.lcut, reference.lcut_for_search)
    others: list[Candidate] = []
    missing: list[str] = []
    try:
        from jieba import finalseg

        from store._jiebac import Segmenter

        ours = Segmenter(reference.FREQ, reference.total, finalseg.start_P, finalseg.trans_P, finalseg.emit_P)
        others.append(
            Candidate(
                "store._jiebac",
                lambda text: ours.cut(text, False, False),
                lambda text: ours.cut(text, True, False),
            )
        )
    except ImportError:
        missing.append("store._jiebac (not built)")
    try:
        import rjieba

        fast = rjieba.Jieba()
        for word, freq in words:
            fast.add_word(word, freq, None)
        others.append(Candidate("rjieba (jieba-rs)", fast.cut, fast.cut_for_search))
    except ImportError:
        missing.append("rjieba")
    try:
        import jieba_fast_dat

        dat = jieba_fast_dat.Tokenizer()
        dat.initialize()
        for word, freq in words:
            dat.add_word(word, freq=freq)
        others.append(Candidate("jieba_fast_dat", dat.lcut, dat.lcut_for_search))
    except ImportError:
        missing.append("jieba_fast_dat")
    try:
        import jieba_fast

        jf = jieba_fast.Tokenizer()
        jf.initialize()
        for word, freq in words:
            jf.add_word(word, freq=freq)
        others.append(Candidate("jieba_fast", jf.lcut, jf.lcut_for_search))
    except ImportError:
        missing.append("jieba_fast")
    return jieba_c, others, missing


def _timed(fn: Callable[[str], list[str]], texts: Iterable[str]) -> tuple[list[list[str]], float, float]:
    started, cpu = time.perf_counter(), time.process_time()
    out = [fn(t) for t in texts]
    return out, time.perf_counter() - started, time.process_time() - cpu


def _words(tokens: list[str]) -> list[str]:
    # What store.tokens keeps: stripped tokens holding a letter or a digit.
    return [t for t in (x.strip() for x in tokens) if t and (t.isalnum() or any(c.isalnum() for c in t))]


def compare(reference: list[list[str]], other: list[list[str]]) -> tuple[int, int, int, list[Any]]:
    """(identical texts, differing tokens, total tokens, a few examples)."""
    same = differing = total = 0
    examples: list[Any] = []
    for ref, got in zip(reference, other, strict=True):
        ref, got = _words(ref), _words(got)
        total += len(ref)
        if ref == got:
            same += 1
            continue
        matcher = difflib.SequenceMatcher(a=ref, b=got, autojunk=False)
        for op, i1, i2, j1, j2 in matcher.get_opcodes():
            if op != "equal":
                differing += max(i2 - i1, j2 - j1)
                if len(examples) < 6:
                    examples.append((ref[max(0, i1 - 2) : i2 + 2], got[max(0, j1 - 2) : j2 + 2]))
    return same, differing, total, examples


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--config", type=Path, default=REPO / "config" / "example")
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--limit", type=int, default=20_000, help="texts per corpus at most")
    args = parser.parse_args()
    from store.tokens import normalise

    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    found = corpora(args.shared, args.limit)
    if not found:
        print(f"no DEV corpora under {args.shared}")
        return
    words = user_words(args.config)
    reference, others, missing = candidates(words)
    print(f"user dictionary: {len(words):,} words; not installed: {', '.join(missing) or '—'}")
    header = f"{'corpus':<20} {'tokeniser':<18} {'mode':<7} {'same texts':>11} {'tokens differ':>14}"
    print(header + f" {'µs/text':>8} {'CPU µs':>8} {'× jieba CPU':>11}")
    shown: list[str] = []
    for corpus, raw in found.items():
        texts = [normalise(t) for t in raw]
        for mode in ("lcut", "search"):
            ref, wall, cpu = _timed(getattr(reference, mode), texts)
            n = len(texts)
            print(f"{corpus:<20} {'jieba':<18} {mode:<7} {n:>11,} {0:>14} {wall / n * 1e6:>8.0f} {cpu / n * 1e6:>8.0f}")
            for cand in others:
                got, wall2, cpu2 = _timed(getattr(cand, mode), texts)
                same, differing, total, examples = compare(ref, got)
                print(
                    f"{'':<20} {cand.name:<18} {mode:<7} {same / n:>10.2%} {differing / max(total, 1):>13.3%}"
                    f" {wall2 / n * 1e6:>8.0f} {cpu2 / n * 1e6:>8.0f} {cpu / max(cpu2, 1e-9):>10.1f}×"
                )
                for ref_part, got_part in examples[:2]:
                    shown.append(f"{corpus} {cand.name} {mode}: jieba {'/'.join(ref_part)} | {'/'.join(got_part)}")
    if shown:
        print("\nexamples of differences (jieba | candidate):")
        for line in shown[:18]:
            print("  " + line)


if __name__ == "__main__":
    with bench_run("tokeniser_agreement"):
        main()
