"""MinHash signatures over character shingles, and LSH band keys to find candidate copies quickly.

Characters, not jieba words: reposts are copied text, and character shingles survive re-segmentation, spacing
and punctuation edits. Hash functions are fixed (seeded), so signatures stored yesterday compare with today's.
"""

from __future__ import annotations

import functools
import hashlib
import struct
import unicodedata
import zlib
from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from store.tokens import normalise

SHINGLE = 4
BANDS = 20
ROWS = 3
HASHES = BANDS * ROWS  # 60: a Jaccard estimate within about ±0.065 (one standard deviation)
MIN_CHARS = 12  # shorter texts ("求助", "顶") are too generic to call two posts the same story
_PRIME = np.uint64(4_294_967_311)  # first prime above 2**32

_rng = np.random.default_rng(20261123)
_A = _rng.integers(1, 2**32 - 1, size=HASHES, dtype=np.uint64)
_B = _rng.integers(0, 2**32 - 1, size=HASHES, dtype=np.uint64)

_A_RAW = _A.astype("=u8").tobytes()
_B_RAW = _B.astype("=u8").tobytes()

Signature = npt.NDArray[np.uint32]


@functools.cache
def _compiled() -> Callable[[str, int, int, int, bytes, bytes], bytes | None] | None:
    # store/_jiebac.c's minhash: the same letters, CRC-32s and (a*x + b) mod p, ~20x faster than numpy here.
    try:
        from store._jiebac import minhash
    except ImportError:
        return None
    return minhash


def _letters(text: str) -> str:
    # Letters and digits only: reposts re-punctuate and re-space.
    return "".join(ch for ch in normalise(text) if unicodedata.category(ch)[0] in "LN")


def signature(text: str) -> Signature | None:
    """The MinHash signature of `text`, or None when it is too short to tell one story from another."""
    compiled = _compiled()
    if compiled is not None:
        raw = compiled(normalise(text), SHINGLE, MIN_CHARS, int(_PRIME), _A_RAW, _B_RAW)
        return None if raw is None else np.frombuffer(raw, dtype=np.uint32).copy()
    return signature_python(text)


def signature_python(text: str) -> Signature | None:
    """`signature` in numpy, bit for bit the compiled one's (the reference its tests compare with)."""
    letters = _letters(text)
    if len(letters) < MIN_CHARS:
        return None
    shingles = {letters[i : i + SHINGLE] for i in range(len(letters) - SHINGLE + 1)}
    x = np.fromiter((zlib.crc32(s.encode("utf-8")) for s in shingles), dtype=np.uint64, count=len(shingles))
    # (a*x + b) mod p for every hash function at once; a, x < 2**32 so a*x + b fits in 64 bits.
    hashed = (np.outer(_A, x) + _B[:, None]) % _PRIME
    return hashed.min(axis=1).astype(np.uint32)


def similarity(a: Signature, b: Signature) -> float:
    """Estimated Jaccard similarity of the two texts' shingle sets."""
    return float(np.count_nonzero(a == b)) / HASHES


def band_keys(sig: Signature) -> list[int]:
    """One signed 64-bit key per band: two texts share a key when a whole band of their signatures agrees. Stored,
    so fixed: each band's blake2b (keyed by its number) of its rows' bytes."""
    raw = sig.tobytes()  # the bands' bytes, each sig[band * ROWS : (band + 1) * ROWS].tobytes()
    digests = []
    for seeded, start, end in _BAND_HASHERS:
        hasher = seeded.copy()  # the band's number already hashed in: a copy, not a new hasher a band
        hasher.update(raw[start:end])
        digests.append(hasher.digest())
    return list(_unpack_keys(b"".join(digests)))


def band_rows(sig: Signature) -> list[bytes]:
    """Each band's number and rows as bytes: equal exactly when a whole band agrees (what `band_keys` hashes).
    For an index in memory, where keys need not be stored or fixed-size."""
    return stored_band_rows(to_bytes(sig))


def stored_band_rows(raw: bytes) -> list[bytes]:
    """`band_rows` of a signature as `to_bytes` stores it, without making the array."""
    return [number + raw[start:end] for number, (_, start, end) in zip(_BAND_BYTE, _BAND_HASHERS, strict=True)]


_BAND_BYTE = [bytes([band]) for band in range(BANDS)]
_STEP = ROWS * np.dtype(np.uint32).itemsize
_BAND_HASHERS = [
    (hashlib.blake2b(_BAND_BYTE[band], digest_size=8), band * _STEP, (band + 1) * _STEP) for band in range(BANDS)
]
_unpack_keys = struct.Struct(f">{BANDS}q").unpack


def to_bytes(sig: Signature) -> bytes:
    return sig.astype("<u4", copy=False).tobytes()  # no copy when the array is little-endian uint32 already


def from_bytes(raw: bytes) -> Signature:
    return np.frombuffer(raw, dtype="<u4").astype(np.uint32)
