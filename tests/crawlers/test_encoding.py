"""Chinese pages decoded without mojibake, whatever they declare (table-driven)."""

from __future__ import annotations

import pytest

from crawlers.encoding import decode_page, sniff

TEXT = "城关一中食堂饭菜变质，学生呕吐腹泻，家长投诉无门。"
TRAD = "公交車司機態度惡劣，乘客投訴無門，希望有關部門處理。"


def _page(text: str, head: str = "") -> str:
    return f"<html><head>{head}</head><body><p>{text}</p></body></html>"


CASES = [
    # (name, body bytes, Content-Type header, override, expected codec, how, a note expected)
    ("utf-8 header", _page(TEXT).encode("utf-8"), "text/html; charset=utf-8", None, "utf-8", "header", False),
    ("gbk header", _page(TEXT).encode("gbk"), "text/html; charset=GBK", None, "gb18030", "header", False),
    ("gb2312 header", _page(TEXT).encode("gb2312"), "text/html; charset=gb2312", None, "gb18030", "header", False),
    (
        "gbk meta only",
        _page(TEXT, '<meta http-equiv="Content-Type" content="text/html; charset=gbk">').encode("gbk"),
        "text/html",
        None,
        "gb18030",
        "meta",
        False,
    ),
    (
        "gb18030 rare char",
        _page(TEXT + "𠀀").encode("gb18030"),
        "text/html; charset=gb18030",
        None,
        "gb18030",
        "header",
        False,
    ),
    ("big5 header", _page(TRAD).encode("big5"), "text/html; charset=big5", None, "big5hkscs", "header", False),
    ("big5 undeclared", _page(TRAD).encode("big5"), "text/html", None, "big5", "sniffed", False),
    ("gbk undeclared", _page(TEXT).encode("gbk"), None, None, "gb18030", "sniffed", False),
    ("utf-8 undeclared", _page(TEXT).encode("utf-8"), None, None, "utf-8", "sniffed", False),
    ("gbk served as utf-8", _page(TEXT).encode("gbk"), "text/html; charset=utf-8", None, "gb18030", "sniffed", True),
    (
        "utf-8 with a lying meta",
        _page(TEXT, '<meta charset="gb2312">').encode("utf-8"),
        None,
        None,
        "utf-8",
        "sniffed",
        True,
    ),
    ("bom", b"\xef\xbb\xbf" + _page(TEXT).encode("utf-8"), "text/html; charset=gbk", None, "utf-8", "bom", False),
    ("override", _page(TEXT).encode("gbk"), "text/html; charset=utf-8", "gbk", "gb18030", "override", False),
    (
        "cut mid-character",
        _page(TEXT).encode("gbk")[:-20] + "食".encode("gbk")[:1],
        "text/html; charset=gbk",
        None,
        "gb18030",
        "header",
        False,
    ),
]


@pytest.mark.parametrize(
    ("name", "body", "content_type", "override", "codec", "how", "noted"), CASES, ids=[c[0] for c in CASES]
)
def test_decode_page(
    name: str, body: bytes, content_type: str | None, override: str | None, codec: str, how: str, noted: bool
) -> None:
    decoded = decode_page(body, content_type=content_type, override=override)
    assert (decoded.encoding, decoded.how, decoded.note is not None) == (codec, how, noted)
    assert (TRAD if "big5" in name else TEXT)[:10] in decoded.text
    # A page cut inside its last character keeps one replacement mark at the cut; nothing else may be broken.
    assert decoded.text.count("\ufffd") == (1 if name == "cut mid-character" else 0)


def test_a_page_cut_at_the_size_limit_loses_only_the_split_character() -> None:
    body = _page(TEXT).encode("gb18030")
    cut = body[: body.index("呕".encode("gb18030")) + 1]  # half of 呕
    decoded = decode_page(cut, content_type="text/html; charset=gbk", truncated=True)
    assert decoded.text.endswith("学生") and "\ufffd" not in decoded.text


def test_sniff_prefers_the_script_the_characters_are_common_in() -> None:
    assert sniff(TEXT.encode("gbk") * 5) == "gb18030"
    assert sniff(TRAD.encode("big5") * 5) == "big5"
    assert sniff(b"plain ascii") == "utf-8"
