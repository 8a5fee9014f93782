"""The embedded store writes an analysis's string lists (tokens, explanation) as exactly the JSON text
json.dumps(..., ensure_ascii=False) gives, escapes and all, also where it skips the encoder."""

from __future__ import annotations

import json
import random

from store.mentions.sqlite import _encode_strings


def test_string_lists_are_the_encoders_text() -> None:
    rng = random.Random(18)
    pool = ["食堂", "学生", "a", "1", '"', "\\", "\n", "\t", "\x00", "\x1f", "\x7f", "\u2028", "😀", "\ud800", "/", " "]
    cases: list[list[str]] = [[], [""], ["", ""], ["城关一中", "食堂"], ['引"号'], ["反\\斜"], ["换\n行"]]
    cases += [["".join(rng.choices(pool, k=rng.randint(0, 4))) for _ in range(rng.randint(0, 6))] for _ in range(5000)]
    for values in cases:
        assert _encode_strings(values) == json.dumps(values, ensure_ascii=False), values
    assert _encode_strings([1, "x"]) == json.dumps([1, "x"], ensure_ascii=False)  # type: ignore[list-item]
