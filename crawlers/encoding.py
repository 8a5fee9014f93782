"""Decode a Chinese web page without mojibake: the source's override, then what the page declares (BOM, HTTP
header, <meta>) if the bytes really are in it, then a guess among UTF-8, GB18030 and Big5.

Why not Scrapy's own decoding alone: an undeclared page falls back to cp1252 there, and a declaration that
lies (a GBK page served as UTF-8, common on old county boards) decodes with replacement characters. Both would
store mojibake. GBK and GB2312 are read as GB18030, their superset, so rare characters survive.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from functools import cache

from w3lib.encoding import html_body_declared_encoding, http_content_type_encoding, read_bom, resolve_encoding

# A page is "in" an encoding when at most this share of its characters fail to decode (a stray broken byte
# sequence, e.g. from a page cut at the size limit, must not make us doubt an honest declaration).
_MAX_BAD_SHARE = 0.002
_GB_ALIASES = {"gb2312", "gbk", "gb18030", "cp936", "euc-cn", "x-gbk", "hz-gb-2312"}


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str  # a Python codec name
    how: str  # override, bom, header, meta, sniffed
    note: str | None = None  # e.g. the declaration was wrong


def decode_page(
    body: bytes, *, content_type: str | None = None, override: str | None = None, truncated: bool = False
) -> Decoded:
    """`truncated`: the body was cut at the size limit, so a character split at the end is dropped, not marked."""

    def text(codec: str, data: bytes) -> str:
        if truncated:
            return codecs.getincrementaldecoder(codec)(errors="replace").decode(data, final=False)
        return data.decode(codec, errors="replace")

    if override:
        codec = _codec(override)
        return Decoded(text(codec, body), codec, "override")
    bom, bom_mark = read_bom(body)
    if bom and bom_mark:
        bom_len = len(bom_mark)
        codec = _codec(bom)
        return Decoded(text(codec, body[bom_len:]), codec, "bom")
    header = http_content_type_encoding(content_type) if content_type else None
    if header:
        codec = _codec(header)
        exact = _strict(body, codec)  # the common case: the header is honest and every byte decodes
        if exact is not None:
            return Decoded(exact, codec, "header")
    declared: list[tuple[str, str]] = []
    if header:
        declared.append((header, "header"))
    meta = html_body_declared_encoding(body)
    if meta:
        declared.append((meta, "meta"))
    for name, how in declared:
        codec = _codec(name)
        if _fits(body, codec):
            return Decoded(text(codec, body), codec, how)
    guessed = sniff(body)
    note = None
    if declared:
        note = f"declared {declared[0][0]} ({declared[0][1]}) but the bytes are {guessed}"
    return Decoded(text(guessed, body), guessed, "sniffed", note)


def _strict(body: bytes, codec: str) -> str | None:
    """The text when every byte decodes in `codec` (then what the tolerant decoding below gives, in one pass)."""
    try:
        return body.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


def sniff(body: bytes) -> str:
    """The likeliest of UTF-8, GB18030 and Big5 for undeclared Chinese bytes."""
    if _fits(body, "utf-8"):
        return "utf-8"
    # GB18030 accepts nearly any byte pairs and so does Big5, much of the time: both may "fit". Then the one
    # whose characters are the common ones of its own script wins.
    candidates = [c for c in ("gb18030", "big5") if _fits(body, c)] or ["gb18030"]
    if len(candidates) == 1:
        return candidates[0]
    sample = body[:65536]
    gb = _common_share(sample.decode("gb18030", errors="ignore"), _common_gb())
    big5 = _common_share(sample.decode("big5", errors="ignore"), _common_big5())
    return "big5" if big5 > gb else "gb18030"


def _codec(name: str) -> str:
    try:
        resolved = resolve_encoding(name) or codecs.lookup(name).name
    except LookupError:
        return "utf-8"
    normalised = codecs.lookup(resolved).name
    return "gb18030" if normalised in _GB_ALIASES or name.lower() in _GB_ALIASES else normalised


def _fits(body: bytes, codec: str) -> bool:
    """The bytes are in `codec`, allowing a few broken sequences and a character cut at the end."""
    try:
        decoder = codecs.getincrementaldecoder(codec)(errors="replace")
    except LookupError:
        return False
    text = decoder.decode(body, final=False)  # an incomplete last character is not an error
    bad = text.count("\ufffd")
    return bad <= max(2, int(len(text) * _MAX_BAD_SHARE))


_HAN = re.compile(r"[\u4e00-\u9fff]")


def _common_share(text: str, common: frozenset[str]) -> float:
    han = _HAN.findall(text)
    return sum(1 for c in han if c in common) / len(han) if han else 0.0


@cache
def _common_gb() -> frozenset[str]:
    """GB2312 level 1: the 3,755 most common simplified characters (rows 16–55)."""
    return _table("gb2312", range(0xB0, 0xD8), range(0xA1, 0xFF))


@cache
def _common_big5() -> frozenset[str]:
    """Big5 常用字: the 5,401 most common traditional characters (0xA440–0xC67E)."""
    return _table("big5", range(0xA4, 0xC7), [*range(0x40, 0x7F), *range(0xA1, 0xFF)])


def _table(codec: str, leads: range, trails: list[int] | range) -> frozenset[str]:
    chars: set[str] = set()
    for lead in leads:
        for trail in trails:
            try:
                chars.add(bytes([lead, trail]).decode(codec))
            except UnicodeDecodeError:
                continue
    return frozenset(chars)
