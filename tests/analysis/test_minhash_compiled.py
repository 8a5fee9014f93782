"""The compiled MinHash (store/_jiebac.c's minhash) gives numpy's signatures bit for bit: the same letters (the
categories L and N over every code point), the same CRC-32s of the shingles, the same minima and uint32 cast, so
signatures and band keys stored before it compare with those made after."""

from __future__ import annotations

import random
import unicodedata

import numpy as np
import pytest

from analysis.events import minhash
from tests.store.test_tokens_compiled import TRICKY, dev_texts

pytest.importorskip("store._jiebac", reason="the C extension was not built (no compiler at install)")


def same(text: str) -> None:
    fast, slow = minhash.signature(text), minhash.signature_python(text)
    if slow is None:
        assert fast is None, text
        return
    assert fast is not None, text
    assert fast.dtype == slow.dtype == np.uint32
    assert np.array_equal(fast, slow), text
    assert minhash.band_keys(fast) == minhash.band_keys(slow)
    assert minhash.to_bytes(fast) == minhash.to_bytes(slow)


def test_the_compiled_path_is_taken() -> None:
    assert minhash._compiled() is not None


@pytest.mark.parametrize(
    "text",
    [
        *TRICKY,
        "城关第一中学随时可能倒塌，县教育局不管",
        "短文本",
        "一二三四五六七八九十十一",  # exactly MIN_CHARS letters
        "一二三四五六七八九十十",  # one short
        "ǅǅǅǅǅǅǅǅǅǅǅǅǅ Ⅻ²³ 𠀀𠀁𠀂𠀃𠀄𠀅𠀆𠀇𠀈𠀉𠀊𠀋",  # title case, numbers outside Nd, four-byte UTF-8
        "é" * 20 + "ß" * 5,  # two-byte UTF-8
        "ab" * 40,  # repeated shingles
    ],
)
def test_signatures_are_numpys_bit_for_bit(text: str) -> None:
    same(text)


def test_letters_are_categories_l_and_n_over_every_code_point() -> None:
    # The C side keeps str.isalpha or str.isnumeric; the Python side keeps categories L* and N*.
    for code in range(0x110000):
        ch = chr(code)
        assert (ch.isalpha() or ch.isnumeric()) == (unicodedata.category(ch)[0] in "LN"), hex(code)


def test_random_texts_over_the_whole_range() -> None:
    rng = random.Random(7)
    for _ in range(400):
        length = rng.randrange(0, 60)
        picks = [
            rng.choice([rng.randrange(0x20, 0x80), rng.randrange(0x4E00, 0x9FFF), rng.randrange(0x80, 0x110000)])
            for _ in range(length)
        ]
        same("".join(chr(c) for c in picks if not 0xD800 <= c < 0xE000))


def test_dev_corpora() -> None:
    corpora = dev_texts(500)
    if not corpora:
        pytest.skip("DEV corpora (../shared/data) not present")
    for texts in corpora.values():
        for text in texts:
            same(text)
