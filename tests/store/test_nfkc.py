"""store.nfkc.nfkc is unicodedata's NFKC, string for string (content hashes stored before it must not change),
and content_hash's whitespace folding is the regular expression it replaced."""

from __future__ import annotations

import hashlib
import random
import re
import unicodedata

import pytest

from store.mentions.content import content_hash
from store.nfkc import _folder, _seconds, nfkc
from tests.store.test_tokens_compiled import TRICKY, dev_texts


def reference_hash(title: str, content: str) -> str:
    # content_hash as it was written before nfkc (the hashes already stored)
    text = unicodedata.normalize("NFKC", f"{title}\n{content}")
    text = re.sub(r"\s+", " ", text).strip()
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def characters() -> list[str]:
    return [chr(c) for c in range(0x110000) if not 0xD800 <= c < 0xE000]


def test_every_character_alone() -> None:
    for ch in characters():
        assert nfkc(ch) == unicodedata.normalize("NFKC", ch), hex(ord(ch))
        assert nfkc("城" + ch + "，") == unicodedata.normalize("NFKC", "城" + ch + "，"), hex(ord(ch))


def test_every_character_before_and_after_each_composing_half() -> None:
    # The characters that compose with a neighbour: every character beside each of them, both ways.
    halves = [*sorted(_seconds()), "\u0301", "\u0308", "\u3099", "\u1100", "\uac00"]
    rng = random.Random(11)
    everything = characters()
    for half in halves:
        for ch in [*rng.sample(everything, 3000), "A", "e", "\u0b47", "\u1100", "\uac00", "ｶ", "ﾞ"]:
            for text in (ch + half, half + ch, "Ａ" + ch + half + "，"):
                assert nfkc(text) == unicodedata.normalize("NFKC", text), [hex(ord(c)) for c in text]


def test_random_texts_of_risky_characters() -> None:
    rng = random.Random(5)
    risky = [*sorted(_seconds()), "\u0301", "\u0327", "\u3099", "\u309a", "ｶ", "ﾞ", "ﾟ", "ﬁ", "㈱", "Ａ", "，", "\u00a0"]
    plain = ["城", "关", "a", "E", " ", "\n", "１", "é", "ǅ", "Ⅻ", "\u1100", "\u1161", "\u11a8", "\uac00", "\u0b47"]
    for _ in range(20_000):
        text = "".join(rng.choice(risky if rng.random() < 0.3 else plain) for _ in range(rng.randrange(1, 12)))
        assert nfkc(text) == unicodedata.normalize("NFKC", text), [hex(ord(c)) for c in text]


def test_content_hash_is_the_stored_one() -> None:
    samples = [*TRICKY, "ＡＢＣ　１２３\u3000 \t x\u00a0y\u2028z\x1c\x1d\x1e\x1f\x85 ", "e\u0301", "ﬁle"]
    for texts in dev_texts(500).values():
        samples += texts
    for text in samples:
        assert content_hash(text[:20], text) == reference_hash(text[:20], text)


def test_whitespace_split_is_the_regular_expression() -> None:
    for ch in characters():
        text = f"a{ch}{ch}b {ch}"
        assert " ".join(text.split()) == re.sub(r"\s+", " ", text).strip(), hex(ord(ch))


def test_the_compiled_cache_is_used() -> None:
    pytest.importorskip("store._jiebac", reason="the C extension was not built (no compiler at install)")
    assert _folder() is not None


def test_no_decomposition_past_the_scanned_range() -> None:
    from store.nfkc import _LAST_DECOMPOSED

    assert not [hex(c) for c in range(_LAST_DECOMPOSED + 1, 0x110000) if unicodedata.decomposition(chr(c))]
