"""The whole analysis in instructions a text, counted by valgrind rather than timed: on two cores shared with other
jobs the CPU time of the same code swings by a quarter between runs (cache and memory contention), while the count
of instructions does not move. Loads the analyser, analyses 50 posts (warm-up) and then `--texts` more of
bench/analysis_speed.py's real posts; run it under cachegrind with --texts N and with --texts 0, the difference of
the two `I refs` divided by N is the instructions a text (start-up cancels out):

    valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null \\
        python bench/analysis_instructions.py --texts 300
    valgrind ... python bench/analysis_instructions.py --texts 0

Instructions are not time (the analysis waits on memory: the tokeniser's and the sentiment model's tables are far
beyond a core's cache), so bench/analysis_speed.py stays the measure of speed; this one says whether a change
removed work, where timed runs on a busy machine cannot tell.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from analysis_speed import real_texts  # bench/ is on sys.path when a bench script runs

from analysis.analyser import Analyser
from config import load_config

REPO = Path(__file__).resolve().parent.parent
WARM_UP = 50


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--texts", type=int, default=300)
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared" / "data")
    args = parser.parse_args()
    texts = real_texts(args.shared, WARM_UP + args.texts)
    analyser = Analyser(load_config(REPO / "config" / "example"))
    for text in texts:
        analyser.analyse(title="", content=text)
    print(f"{len(texts)} texts analysed ({WARM_UP} to warm up)")


if __name__ == "__main__":
    main()
