"""The compiled tokeniser (store/_jiebac.c) gives jieba's tokens, token for token: on tricky strings, on the DEV
corpora in accurate and search modes with the configuration's user dictionary, after words are added behind
store.tokens' back, and jieba itself cuts (the same tokens) when the extension is missing."""

from __future__ import annotations

import csv
import json
import random
import subprocess
import sys
from pathlib import Path

import jieba
import pytest
from jieba import finalseg

from config import load_config
from store import tokens
from store.tokens import add_words, config_words, read_words, segment, tokenize
from tests.conftest import EXAMPLE_CONFIG, SHARED_DATA

pytest.importorskip("store._jiebac", reason="the C extension was not built (no compiler at install)")
from store._jiebac import Segmenter

TRICKY = [
    "的确是的话，我们的确要去",
    "ＡＢＣ１２３abc 1.5%的人 a.b.3 C++和C#\r\n好 2020-01-01 v2.0.1版",
    "嗡嗡嗡的噪声，拖拖拖的办事效率",  # equal-probability routes: jieba takes the longer last word
    "啊啊啊啊啊啊啊发霉了",
    "城关第一中学随时可能倒塌，县教育局不管",
    "〇一二 Ⅻ ²³ é 𠀀𠀁中 龥龦 㐀",  # Han outside U+4E00–U+9FD5 comes out one character at a time
    "\t\n  \u3000",
    "",
    "x",
    "张三李四王五赵六在岳麓区桐梓坡路被打",  # unknown names: the HMM
    "abc_def&ghi#jkl%mno-pqr.stu+vwx",
    "12.5.6% 3.14ab 0.5%%",
    "😀學校門口ＡＢＣ超市賣過期食品😀",
    "中华人民共和国国务院办公厅关于进一步加强学校食品安全管理的通知",
]


@pytest.fixture
def cutter() -> Segmenter:
    """store.tokens' compiled copy as it stands (made again when jieba's dictionary changed under it)."""
    add_words(config_words(load_config(EXAMPLE_CONFIG)))
    tokenize("")  # jieba loaded, the user dictionary in it
    jieba.add_word("随时可能倒塌", freq=max(jieba.suggest_freq("随时可能倒塌", False), 10_000))
    seg = tokens._cutter()
    assert seg is not None
    return seg


@pytest.mark.parametrize("text", TRICKY)
@pytest.mark.parametrize("search", [False, True])
def test_tricky_strings_cut_exactly_as_jieba(cutter: Segmenter, text: str, search: bool) -> None:
    reference = jieba.lcut_for_search(text) if search else jieba.lcut(text)
    assert cutter.cut(text, search, False) == reference  # every token jieba yields, spaces and punctuation too
    assert cutter.cut(normalise_of(text), search) == [
        t for t in (jieba.lcut_for_search if search else jieba.lcut)(normalise_of(text)) if t.strip() and word(t)
    ]


def normalise_of(text: str) -> str:
    return tokens.normalise(text)


def word(token: str) -> bool:
    return any(ch.isalnum() for ch in token)


def test_the_dictionary_is_jiebas_own(cutter: Segmenter) -> None:
    assert cutter.size == len(jieba.dt.FREQ) and cutter.total == jieba.dt.total
    for w in ["中华人民共和国", "中华", "城关第一中学", "城关第一", "随时可能倒塌", "的确"]:
        assert cutter.get(w) == jieba.dt.FREQ.get(w)


def test_words_added_to_jieba_directly_are_copied_before_the_next_cut() -> None:
    tokenize("")
    assert "枳椇蕺菜塘" not in segment("我们枳椇蕺菜塘的路坏了")
    jieba.add_word("枳椇蕺菜塘", freq=50_000)  # behind store.tokens' back, as a test or a notebook might
    assert "枳椇蕺菜塘" in segment("我们枳椇蕺菜塘的路坏了")
    assert "枳椇蕺菜塘" in tokenize("我们枳椇蕺菜塘的路坏了")


def test_a_fresh_segmenter_from_jiebas_tables_cuts_as_jieba() -> None:
    tk = jieba.Tokenizer()
    tk.initialize()
    tk.add_word("城关第一中学", freq=10_000)
    seg = Segmenter(tk.FREQ, tk.total, finalseg.start_P, finalseg.trans_P, finalseg.emit_P)
    seg.add_word("岳麓区桐梓坡", 20_000, tk.total + 20_000)
    tk.add_word("岳麓区桐梓坡", freq=20_000)
    for text in TRICKY:
        assert seg.cut(text, False, False) == tk.lcut(text)
        assert seg.cut(text, True, False) == tk.lcut_for_search(text)


def dev_texts(limit: int) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    graded = SHARED_DATA / "complaint_severity" / "dev_labels.jsonl"
    if graded.exists():
        with graded.open(encoding="utf-8") as f:
            found["complaint_severity"] = [json.loads(line)["text"] for line in f if line.strip()]
    full = SHARED_DATA / "taidi2020_full" / "messages_7class.csv"
    if full.exists():
        with full.open(encoding="utf-8") as f:
            found["taidi2020_full"] = [" ".join(r.values()) for r in csv.DictReader(f)]
    gov = SHARED_DATA / "taidi2020_gov_messages" / "messages_labeled.csv"
    if gov.exists():
        with gov.open(encoding="utf-8") as f:
            found["taidi2020_gov_messages"] = [" ".join(r.values()) for r in csv.DictReader(f)]
    weibo = SHARED_DATA / "covid19_weibo_unlabeled" / "weibo_posts.csv"
    if weibo.exists():
        with weibo.open(encoding="utf-8") as f:
            found["covid19_weibo"] = [r["text"] for r in csv.DictReader(f)]
    for name, texts in found.items():
        random.Random(3).shuffle(texts)
        found[name] = texts[:limit]
    return found


@pytest.mark.skipif(not SHARED_DATA.exists(), reason="DEV corpora (../shared/data) not present")
def test_dev_corpora_cut_exactly_as_jieba_in_both_modes(cutter: Segmenter) -> None:
    # A sample here (the suite's time); bench/tokeniser_agreement.py --limit 100000 runs them whole.
    corpora = dev_texts(400)
    assert corpora
    for name, texts in corpora.items():
        for text in texts:
            folded = tokens.normalise(text)
            assert cutter.cut(folded, False, False) == jieba.lcut(folded), name
            assert cutter.cut(folded, True, False) == jieba.lcut_for_search(folded), name


def test_without_the_extension_jieba_cuts_and_says_so_once() -> None:
    code = (
        "import sys, logging\n"
        "sys.modules['store._jiebac'] = None\n"  # as if the build had failed
        "logging.basicConfig(level=logging.WARNING, format='%(message)s')\n"
        "import jieba\n"
        "from store import tokens\n"
        "text = '城关县教育局回复：學校不得乱收费 ABC'\n"
        "a, b = tokens.segment(text), tokens.tokenize(text)\n"
        "assert tokens._cutter() is None\n"
        "folded = tokens.normalise(text)\n"
        "assert a == [t for t in jieba.lcut(folded) if t.strip() and t.strip().isalnum()], a\n"
        "assert b == [t for t in jieba.lcut_for_search(folded) if t.strip() and t.strip().isalnum()], b\n"
        "assert '学校' in a and '教育局' in b\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=Path(tokens.__file__).parents[1]
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stderr.count("编译的分词模块") == 1, done.stderr


def test_folding_in_c_is_str_translate_with_the_fold_table() -> None:
    samples = [*TRICKY, "ﬁle", "e\u0301", "😀學", "\u0130stanbul", "ǅ", "Ⅻ", "ＡＢＣ１２３", "城关，一中！"]
    for sample in dev_texts(200).values():
        samples += sample
    for text in samples:
        assert tokens.normalise(text) == text.translate(tokens._fold_table()), text
    assert tokens._folder() is not None


@pytest.mark.parametrize("text", TRICKY)
def test_jieba_cut_is_jiebas_raw_output(text: str) -> None:
    assert tokens.jieba_cut(text) == jieba.lcut(text)
    assert tokens.jieba_cut(text, search=True) == jieba.lcut_for_search(text)


def test_words_read_back_from_indexed_tokens_on_dev_texts(cutter: Segmenter) -> None:
    samples = list(TRICKY)
    for sample in dev_texts(150).values():
        samples += sample
    for text in samples:
        assert tokens.words_from_tokens(tokenize(text)) == segment(text), text
        assert tokens.search_tokens(segment(text)) == tokenize(text), text


def _words_by_expand(cutter: Segmenter, tokens: list[str]) -> list[str] | None:
    # The reading as Python did it before it moved into C (Segmenter.words_from_tokens): expand each word again.
    return read_words(tokens, lambda word: [] if len(word) <= 2 else cutter.expand((word,))[:-1])


def test_compiled_reading_is_the_expand_reading_also_on_damaged_tokens(cutter: Segmenter) -> None:
    # Token lists that did not come from tokenize too (a token dropped, two swapped, a word without a letter or
    # digit, which expand leaves out): the compiled reading says None exactly where expanding each word does.
    rng = random.Random(3)
    samples = [*TRICKY, "中华人民共和国国务院", "——城关县教育局——"]
    for sample in dev_texts(60).values():
        samples += sample
    refused = 0
    for text in samples:
        found = tokenize(text)
        variants = [found, ["——", *found], [*found, "——"], [*found, "：：：", "教育局"], ["国务院"]]
        if len(found) > 1:
            i = rng.randrange(len(found) - 1)
            variants += [found[:i] + found[i + 1 :], [*found[:i], found[i + 1], found[i], *found[i + 2 :]]]
        for variant in variants:
            expected = _words_by_expand(cutter, variant)
            assert cutter.words_from_tokens(variant) == expected, variant
            refused += expected is None
    assert refused  # the damaged lists were refused somewhere, so both sides of the comparison ran


@pytest.mark.parametrize("text", [*TRICKY, "abc1de2f城关a1b2", "随时可能倒塌", "x y z 1 2 3"])
def test_no_hmm_mode_is_jiebas_hmm_false(cutter: Segmenter, text: str) -> None:
    # analysis/schemes.py judges the rest of a compound word by jieba.lcut(rest, HMM=False).
    assert cutter.cut(text, False, False, False) == jieba.lcut(text, HMM=False)
    assert cutter.cut(text, True, False, False) == jieba.lcut_for_search(text, HMM=False)
    assert tokens.jieba_cut(text, hmm=False) == jieba.lcut(text, HMM=False)


@pytest.mark.skipif(not SHARED_DATA.exists(), reason="DEV corpora (../shared/data) not present")
def test_dev_corpora_cut_without_hmm_exactly_as_jieba(cutter: Segmenter) -> None:
    corpora = dev_texts(400)
    assert corpora
    for name, texts in corpora.items():
        for text in texts:
            folded = tokens.normalise(text)
            assert cutter.cut(folded, False, False, False) == jieba.lcut(folded, HMM=False), name
            # and every piece of it, as schemes cuts the rest of a word
            for start in range(0, len(folded), 7):
                rest = folded[start : start + 6]
                assert cutter.cut(rest, False, False, False) == jieba.lcut(rest, HMM=False), (name, rest)
