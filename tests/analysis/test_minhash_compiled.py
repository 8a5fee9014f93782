"""The compiled MinHash (store/_jiebac.c's minhash) gives numpy's signatures bit for bit: the same letters (the
categories L and N over every code point), the same CRC-32s of the shingles, the same minima and uint32 cast, so
signatures and band keys stored before it compare with those made after."""

from __future__ import annotations

import random
import struct
import unicodedata
import zlib

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


def _reference(letters: str, a: list[int], b: list[int], prime: int) -> list[int]:
    xs = [zlib.crc32(letters[i : i + minhash.SHINGLE].encode()) for i in range(len(letters) - minhash.SHINGLE + 1)]
    return [min((ah * x + bh) % prime for x in xs) & 0xFFFFFFFF for ah, bh in zip(a, b, strict=True)]


def test_every_residue_range_with_the_constant_prime() -> None:
    # The vectorised path reduces mod p = 2^32 + 15 without dividing: one shingle (its value is the minimum) with
    # a and b chosen to land on chosen residues — 0, 2^32 - 1, the 15 above 2^32 that the uint32 cast wraps, and
    # p - 1 — and random a, b up to 2^32 - 1 (a*x + b up to 2^64 - 2^32) over longer texts.
    from store._jiebac import minhash as compiled

    prime, rng = int(minhash._PRIME), random.Random(11)
    letters = "舆情监测"
    x = zlib.crc32(letters.encode())
    targets = [0, 1, 2**32 - 1, *range(2**32, prime), *(rng.randrange(prime) for _ in range(40))]
    a: list[int] = []
    b: list[int] = []
    while len(a) < len(targets) or len(a) % 4:
        target = targets[len(a) % len(targets)]
        ah = rng.choice([1, 2**32 - 1, rng.randrange(1, 2**32)])
        bh = (target - ah * x) % prime
        if bh < 2**32:
            a.append(ah)
            b.append(bh)
    raw = compiled(letters, minhash.SHINGLE, 4, prime, struct.pack(f"{len(a)}Q", *a), struct.pack(f"{len(b)}Q", *b))
    assert raw is not None
    assert list(struct.unpack(f"{len(a)}I", raw)) == _reference(letters, a, b, prime)
    for length in (4, 5, 12, 64, 300):
        text = "".join(chr(rng.randrange(0x4E00, 0x9FFF)) for _ in range(length))
        a = [rng.choice([1, 2**32 - 1, rng.randrange(1, 2**32)]) for _ in range(60)]
        b = [rng.choice([0, 2**32 - 1, rng.randrange(2**32)]) for _ in range(60)]
        raw = compiled(text, minhash.SHINGLE, 4, prime, struct.pack("60Q", *a), struct.pack("60Q", *b))
        assert raw is not None
        assert list(struct.unpack("60I", raw)) == _reference(text, a, b, prime)
