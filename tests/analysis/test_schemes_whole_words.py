"""WholeWords finds the word covering a character by bisection; the per-character table it replaced, kept here as
the reference, judges every span of real and awkward texts alike."""

from __future__ import annotations

import json

from analysis.schemes import WholeWords, _words_of_two
from store.tokens import add_words, domain_words, normalise, segment
from tests.conftest import SHARED_DATA

AWKWARD = [
    "班主任打学生，小学生不敢上学",
    "食物中毒，随时可能倒塌！学校食堂",
    "工资不发 ai said ＡＢＣ１２３ 學校門口",
    "城关县教育局回复：學校不得乱收费 ABC",
    "",
    "😀😀！！",
]


def dev_texts(limit: int) -> list[str]:
    graded = SHARED_DATA / "complaint_severity" / "dev_labels.jsonl"
    if not graded.exists():  # the DEV corpora are optional: the awkward texts still run
        return []
    with graded.open(encoding="utf-8") as f:
        return [json.loads(line)["text"] for line in f if line.strip()][:limit]


class ReferenceWholeWords:
    # analysis.schemes.WholeWords before: a table from each character to the word covering it.
    def __init__(self, text: str, words: list[str]) -> None:
        folded = normalise(text)
        self._folded = folded
        self._owner = [-1] * len(folded)
        self._spans: list[tuple[int, int]] = []
        cursor = 0
        for word in words:
            start = folded.find(word, cursor)
            if start < 0:
                continue
            end = start + len(word)
            index = len(self._spans)
            self._spans.append((start, end))
            for i in range(start, end):
                self._owner[i] = index
            cursor = end

    def accepts(self, start: int, end: int) -> bool:
        first, last = self._owner[start], self._owner[end - 1]
        if first < 0 or last < 0:
            return True
        word_start, word_end = self._spans[first][0], self._spans[last][1]
        if word_start == start and word_end == end:
            return True
        if first != last:
            return False
        return all(
            not rest or _words_of_two(rest) for rest in (self._folded[word_start:start], self._folded[end:word_end])
        )


def check(text: str, words: list[str]) -> None:
    whole, reference = WholeWords(text, words), ReferenceWholeWords(text, words)
    size = len(text)
    for start in range(size):
        for end in range(start + 1, min(size, start + 8) + 1):
            assert whole.accepts(start, end) == reference.accepts(start, end), (text, start, end)


def test_spans_are_judged_as_the_per_character_table_did() -> None:
    add_words(domain_words())
    for text in AWKWARD + dev_texts(150):
        check(text, segment(text))
    # Words that are not where expected, empty words and words out of order leave characters unjudged alike.
    check("学校食堂饭菜变质", ["学校", "", "不在", "食堂", "学校", "变质"])
