"""高频词: stopwords and search-mode fragments never count; each post counts a word once."""

from __future__ import annotations

import pytest

from analysis.keywords import post_terms, stopwords, top_terms
from store.tokens import tokenize

POSTS = [
    "城关镇幸福路现在已经积水三天了，我们出行很不方便",
    "城关镇幸福路积水严重，已经有老人摔倒，现在还没人管",
    "城关镇中心小学食堂饭菜变质",
]


@pytest.mark.parametrize(
    ("text", "present", "absent"),
    [
        (POSTS[0], {"城关镇", "幸福", "积水"}, {"现在", "已经", "我们", "关镇"}),
        (POSTS[2], {"城关镇", "食堂", "变质"}, {"关镇"}),
        # A numeral and its measure word say nothing about what a post is about (the demo's 高频词 showed 一所).
        ("我是城关一中一名学生的家长，一所学校怎么能这样", {"学生", "家长", "学校"}, {"一名", "一所"}),
        # Modal adverbs say how, not what (the demo's 高频词 showed 只能 among its top ten).
        ("城关镇晚上只能在家里等，老人才能休息", {"老人", "休息"}, {"只能", "才能"}),
    ],
)
def test_post_terms(text: str, present: set[str], absent: set[str]) -> None:
    tokens = tokenize(text)
    assert "关镇" in tokens or "城关" in tokens  # search mode does cut pieces out of 城关镇
    terms = post_terms(tokens)
    assert present <= terms and not (absent & terms)


def test_top_terms_count_posts_not_occurrences() -> None:
    top = dict(top_terms([tokenize(p) for p in POSTS] + [tokenize("积水积水积水")], 5))
    assert top["城关镇"] == 3 and top["积水"] == 3 and top["幸福"] == 2
    assert not set(top) & stopwords()


def test_the_stopword_list_is_read_and_has_the_usual_words() -> None:
    assert {"现在", "已经", "我们", "什么"} <= stopwords()
