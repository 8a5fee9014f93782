"""Which post URLs a crawl keeps: http(s) on the source's own domains, nothing else."""

from __future__ import annotations

import pytest

from crawlers.urlcheck import allowed_post_url

DOMAINS = ["bbs.example.cn", "12345.gov.cn"]


@pytest.mark.parametrize(
    ("url", "kept"),
    [
        ("http://bbs.example.cn/t/1", True),
        ("https://bbs.example.cn/t/1?page=2#r3", True),
        ("HTTPS://BBS.EXAMPLE.CN/t/1", True),
        ("https://m.12345.gov.cn/letter/9", True),  # below an allowed domain
        ("http://bbs.example.cn.:8080/t/1", True),
        ("javascript:alert(1)", False),
        (" javascript:alert(1)", False),
        ("JaVaScRiPt:alert(1)", False),
        ("data:text/html,<script>alert(1)</script>", False),
        ("vbscript:msgbox", False),
        ("ftp://bbs.example.cn/file", False),
        ("file:///etc/passwd", False),
        ("http://evil.example/t/1", False),
        ("http://bbs.example.cn.evil.example/t/1", False),
        ("http://evilbbs.example.cn/t/1", False),  # not a subdomain, a longer name
        ("http://user:pw@bbs.example.cn/t/1", False),
        ("//bbs.example.cn/t/1", False),  # no scheme
        ("/t/1", False),
        ("", False),
        ("http://bbs.example.cn:99999/t/1", False),  # a port that cannot be
        ("http://[::1/t/1", False),
    ],
)
def test_allowed_post_url(url: str, kept: bool) -> None:
    assert allowed_post_url(url, DOMAINS) is kept
