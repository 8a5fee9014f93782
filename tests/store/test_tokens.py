"""Tokens and folding: offsets survive folding, traditional and full-width forms fold, and the configuration's
user dictionary keeps unit names and scheme words whole."""

from __future__ import annotations

from pathlib import Path

import pytest

from config import load_config
from store.tokens import add_words, config_words, domain_words, normalise, segment, tokenize, words_from_tokens

EXAMPLE = Path(__file__).resolve().parents[2] / "config" / "example"


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("學校食堂", "学校食堂"),
        ("ＡＢＣ１２３", "abc123"),
        ("城关，一中！", "城关,一中!"),
        ("ﬁle", "ﬁle"),  # NFKC would make two characters of ﬁ: kept, so offsets stay true
        ("e\u0301", "e\u0301"),
        ("😀學", "😀学"),
        ("", ""),
    ],
)
def test_normalise_folds_without_moving_offsets(text: str, folded: str) -> None:
    assert normalise(text) == folded
    assert len(normalise(text)) == len(text)


def test_config_words_cover_units_schemes_queries_and_domain_terms() -> None:
    words = config_words(load_config(EXAMPLE))
    assert {"城关第一中学", "城关一中", "县教育局", "课外班"} <= words  # names, aliases, topic words
    assert {"欺凌", "防欺凌宣传", "跳楼"} <= words  # group, exclusion and query words
    assert "持刀伤人" not in words  # a quoted phrase is matched literally, not made a dictionary word
    assert "党委书记" in domain_words() and domain_words() <= words


def test_added_words_stay_whole() -> None:
    add_words(config_words(load_config(EXAMPLE)))
    assert "城关第一中学" in tokenize("城关第一中学的班主任要求交补课费")
    assert "补课费" in tokenize("城关第一中学的班主任要求交补课费")


@pytest.mark.parametrize(
    "text",
    ["城关县教育局回复：中华人民共和国教育法规定，学校不得乱收费。", "ＡＢＣ學校", "", "😀😀", "北京大学生命科学学院"],
)
def test_search_tokens_from_words_equal_jieba_search_mode(text: str) -> None:
    from store.tokens import search_tokens, segment

    assert search_tokens(segment(text)) == tokenize(text)


def test_words_added_before_jieba_loads_are_kept_whole_once_it_does() -> None:
    # A fresh process: jieba loads only at the first tokenisation (a crawl that stores nothing never loads it).
    import subprocess
    import sys

    code = (
        "from store import tokens\n"
        "tokens.add_words(['枳椇蕺菜村'])\n"
        "assert not tokens._ready, 'jieba loaded by add_words'\n"
        "assert '枳椇蕺菜村' in tokens.tokenize('我们枳椇蕺菜村的路坏了'), tokens.tokenize('我们枳椇蕺菜村的路坏了')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]


@pytest.mark.parametrize(
    "text",
    [
        "城关县教育局对城关第一中学食堂饭菜变质一事至今没有回应",
        "中华人民共和国国务院办公厅关于进一步加强学校食品安全管理的通知",
        "A市1号楼2-3层漏水!物业不管，电话0731-88888888打了十几次。",
        "學校門口ＡＢＣ超市賣過期食品，孩子吃了上吐下瀉",
        "",
        "😀😀！！",
    ],
)
def test_words_are_derived_from_the_indexed_tokens(text: str) -> None:
    """The accurate-mode words read back from the search-mode tokens the store indexed: exactly segment()."""
    assert words_from_tokens(tokenize(text)) == segment(text)


def test_tokens_from_another_dictionary_are_not_read_as_words() -> None:
    """Tokens that search mode cannot have given with this dictionary: None, so analysis segments the text."""
    assert tokenize("教育局") == ["教育", "教育局"]
    assert words_from_tokens(["教育局"]) is None  # 教育, the word inside it, is missing
    assert words_from_tokens(["学校", "教育局"]) is None


def test_adding_the_same_words_again_changes_nothing() -> None:
    """Every Analyser, crawl context and scheme matcher gives its words; jieba.add_word would add a word's
    frequency to the dictionary's total each time, and the cuts of rare texts moved after the second."""
    import store.tokens as tokens

    word = "重复添加测试用词甲乙"
    add_words([word])
    segment("触发加载")

    def total() -> int:
        return tokens._compiled.total if tokens._compiled is not None else int(__import__("jieba").dt.total)

    before = total()
    for _ in range(50):
        add_words([word])
    assert total() == before
    assert word in segment(f"这是{word}的例子")
