"""find_facts' shortcuts give what the plain steps give: the head-count pre-check and the near words worked out only
for the windows a structural fact reads."""

from __future__ import annotations

import itertools

from analysis.facts.finder import _COUNT, _COUNT_ENDS, _count, count_value, find_facts
from tests.analysis.test_scoring_paths import reference_facts

NUMERALS = ["2", "20", "二十", "十几", "千", "几", "三百"]
TAILS = ["", "多", "余", "来"]
ENDS = [
    "名",
    "个",
    "人",
    "户",
    "家",
    "位",
    "位老人",
    "名学生",
    "名工人",
    "多人",
    "余人",
    "年",
    "月",
    "元",
    "次",
    "生",
    "人们",
]


def _count_by_pattern(word: str) -> int:
    found = _COUNT.match(word)
    if not found or found.group(1).startswith("几个"):
        return 0
    return count_value(found.group(1))


def test_the_head_count_pre_check_rejects_only_what_the_pattern_rejects() -> None:
    assert _COUNT_ENDS is not None  # the pattern ends in plain alternatives: the pre-check is in use
    for numeral, tail, end in itertools.product(NUMERALS, TAILS, ENDS):
        word = numeral + tail + end
        assert _count(word) == _count_by_pattern(word), word


POSTS = [
    "二十 多 名 学生 被 打 ， 没有 人 受伤 ， 副局长 收受 红包",
    "住建局 局长 收受 贿赂 ， 一旦 倒塌 将 造成 伤亡",
    "村民 上百名 聚集 在 镇政府 门口 ， 三十几户 的 饮用水 受到 污染",
    "学校 食堂 食物中毒 ， 十几个 孩子 住院",
]


def test_near_words_read_window_by_window_give_the_same_facts() -> None:
    for post in POSTS:
        words = post.split()
        for start in range(len(words)):
            assert find_facts(words[start:]) == reference_facts(words[start:]), words[start:]
