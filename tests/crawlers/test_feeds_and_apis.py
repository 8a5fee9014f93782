"""RSS, Atom and JSON-API sources crawled for real on 127.0.0.1: posts taken from the feed or the API answer
itself (no thread page), page-number paging, machine times, a GB2312 feed, and what a broken answer does."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

SOURCES = """sources:
  - id: rss-board
    name: 县政府信箱（RSS）
    kind: rss
    start_urls: ["{url}/rss.xml"]
    unit: county
    allow_private_addresses: true
    download_delay: 0
  - id: atom-board
    name: 镇政府动态（Atom）
    kind: atom
    start_urls: ["{url}/atom.xml"]
    post_id_pattern: "/news/(\\\\d+)"
    allow_private_addresses: true
    download_delay: 0
  - id: hotline
    name: 12345 热线（JSON）
    kind: json
    start_urls: ["{url}/api/letters?page=1"]
    allow_private_addresses: true
    download_delay: 0
    json:
      items: data.list
      id: letterId
      url_template: "{url}/letter/{{id}}"
      title: subject
      content: body
      published_at: createTime
      author: user.nick
      reply_count: stat.replies
      status: state
      page_url: "{url}/api/letters?page={{page}}"
      max_pages: 3
"""

RSS = """<?xml version="1.0" encoding="gb2312"?>
<rss version="2.0"><channel><title>县长信箱</title>
<item><title>城关一中乱收费</title><link>{url}/mail/101</link><guid>mail-101</guid>
<pubDate>Mon, 30 Nov 2026 09:15:00 +0800</pubDate><author>家长</author>
<description><![CDATA[<p>城关一中每学期额外收取资料费三百元。</p><script>alert(1)</script>]]></description></item>
<item><title>幸福路路灯不亮</title><link>{url}/mail/102</link><guid>mail-102</guid>
<pubDate>Mon, 30 Nov 2026 08:00:00 +0800</pubDate><description>幸福路路灯坏了一个月。</description></item>
<item><title></title><link></link></item>
</channel></rss>"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>镇政府</title>
<entry><title>城关镇召开防汛会议</title><link href="{url}/news/7?utm_source=rss"/><id>tag:town,2026:7</id>
<updated>2026-11-29T10:00:00Z</updated><author><name>城关镇</name></author>
<content type="html">&lt;p&gt;城关镇部署防汛工作。&lt;/p&gt;</content></entry>
</feed>"""


def _letter(n: int, when: Any, replies: Any) -> dict[str, Any]:
    return {
        "letterId": n,
        "subject": f"来信{n}：小区噪音扰民",
        "body": f"<p>第{n}封来信，小区夜间施工噪音很大。</p>",
        "createTime": when,
        "user": {"nick": f"市民{n}"},
        "stat": {"replies": replies},
        "state": "已办结" if n % 2 else "办理中",
    }


def test_rss_atom_and_json_sources(tmp_path: Path, mock_site: Any, make_config: Any, crawl: Callable[..., Any]) -> None:
    site = mock_site
    site.allow_all()
    site.raw("/rss.xml", RSS.format(url=site.url).encode("gb2312"), "application/rss+xml")
    site.raw("/atom.xml", ATOM.format(url=site.url).encode("utf-8"), "application/octet-stream")
    page1 = {"data": {"list": [_letter(3, 1796000000000, 5), _letter(2, "2026-11-29 10:00", "1.5万")]}}
    page2 = {"data": {"list": [_letter(1, "2026-11-28T08:00:00+08:00", None), {"subject": "没有编号"}]}}
    site.raw("/api/letters?page=1", json.dumps(page1, ensure_ascii=False).encode(), "application/json")
    site.raw("/api/letters?page=2", json.dumps(page2, ensure_ascii=False).encode(), "application/json")
    site.raw("/api/letters?page=3", b"<html>502 Bad Gateway</html>", "text/html")
    config_dir = make_config(tmp_path / "config", board_url=site.url)
    (config_dir / "sources.yaml").write_text(SOURCES.format(url=site.url), encoding="utf-8")
    data = tmp_path / "data"

    rss = crawl(config_dir, data, "rss-board")
    assert rss.returncode == 0, rss.log[-3000:]
    by_id = {i["post_id"]: i for i in rss.items}
    assert set(by_id) == {"mail-101", "mail-102"} and rss.summary["parse_failures"] == 1  # the empty item
    mail = by_id["mail-101"]
    assert mail["title"] == "城关一中乱收费" and mail["content"] == "城关一中每学期额外收取资料费三百元。"
    assert mail["published_at"] == "2026-11-30T01:15:00+00:00" and mail["author"] == "家长"
    assert mail["url"] == f"{site.url}/mail/101" and mail["unit"] == "county"
    assert "/mail/101" not in site.hits  # the feed carries the text: no page fetched

    atom = crawl(config_dir, data, "atom-board")
    assert atom.returncode == 0, atom.log[-3000:]
    [news] = atom.items
    assert news["post_id"] == "7" and news["url"] == f"{site.url}/news/7"  # id from the link, tracking dropped
    assert news["content"] == "城关镇部署防汛工作。" and news["author"] == "城关镇"
    assert news["published_at"] == "2026-11-29T10:00:00+00:00"

    api = crawl(config_dir, data, "hotline")
    assert api.returncode == 0, api.log[-3000:]
    by_id = {i["post_id"]: i for i in api.items}
    assert set(by_id) == {"3", "2", "1"}
    assert by_id["3"]["published_at"] == datetime.fromtimestamp(1796000000, UTC).isoformat()  # milliseconds
    assert by_id["2"]["published_at"] == "2026-11-29T02:00:00+00:00"  # Beijing time text
    assert by_id["1"]["published_at"] == "2026-11-28T00:00:00+00:00"
    assert (by_id["3"]["reply_count"], by_id["2"]["reply_count"], by_id["1"]["reply_count"]) == (5, 15000, None)
    assert by_id["3"]["url"] == f"{site.url}/letter/3" and by_id["3"]["author"] == "市民3"
    assert by_id["3"]["content"] == "第3封来信，小区夜间施工噪音很大。" and by_id["3"]["status"] == "已办结"
    # Page 2's item without an id and page 3's HTML error page are counted failures, not a crashed crawl.
    assert api.summary["parse_failures"] == 2 and "/api/letters?page=3" in api.log

    again = crawl(config_dir, data, "hotline")
    assert again.summary["new"] == 0 and site.count("/api/letters?page=1") == 2
    assert site.count("/api/letters?page=2") == 1  # page 1 held nothing new: no paging


HOSTILE_SOURCES = """sources:
  - id: keyed-api
    name: 12345 热线（带密钥）
    kind: json
    start_urls: ["{url}/api/v2?page=1&key=${{HOTLINE_KEY}}"]
    allow_private_addresses: true
    download_delay: 0
    json:
      items: list
      id: id
      url: link
      title: title
      page_url: "{url}/api/v2?page={{page}}&key=${{HOTLINE_KEY}}"
      max_pages: 2
  - id: hostile-feed
    name: 某论坛（RSS）
    kind: rss
    start_urls: ["{url}/hostile.xml"]
    allow_private_addresses: true
    download_delay: 0
"""
HOSTILE_LINKS = [
    "javascript:alert(document.cookie)",
    "data:text/html,<script>alert(1)</script>",
    "http://evil.example/phish",
    "ftp://127.0.0.1/file",
    "http://user:pw@127.0.0.1/x",
]


def test_keys_in_source_urls_are_masked_and_foreign_post_urls_refused(
    tmp_path: Path, mock_site: Any, make_config: Any, crawl: Callable[..., Any]
) -> None:
    site = mock_site
    site.allow_all()
    key = "sk-Zq81secretVALUE"
    posts = [{"id": n, "title": f"来信{n}：路灯不亮", "link": link} for n, link in enumerate(HOSTILE_LINKS)]
    posts.append({"id": 99, "title": "来信99：路灯不亮", "link": f"{site.url}/letter/99"})
    site.raw(f"/api/v2?page=1&key={key}", json.dumps({"list": posts}, ensure_ascii=False).encode(), "application/json")
    site.raw(f"/api/v2?page=2&key={key}", b"<html>502 Bad Gateway</html>", "text/html")  # logged with its URL
    items = "".join(
        f"<item><title>帖子{n}</title><link>{link.replace('&', '&amp;').replace('<', '&lt;')}</link>"
        f"<guid>g{n}</guid><description>内容</description></item>"
        for n, link in enumerate([*HOSTILE_LINKS, f"{site.url}/t/7"])
    )
    feed = f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>x</title>{items}</channel></rss>'
    site.raw("/hostile.xml", feed.encode(), "application/rss+xml")
    config_dir = make_config(tmp_path / "config", board_url=site.url)
    (config_dir / "sources.yaml").write_text(HOSTILE_SOURCES.format(url=site.url), encoding="utf-8")
    (config_dir / "secrets.env").write_text(f"HOTLINE_KEY={key}\n", encoding="utf-8")
    data = tmp_path / "data"

    api = crawl(config_dir, data, "keyed-api")
    assert api.returncode == 0, api.log[-3000:]
    assert [i["post_id"] for i in api.items] == ["99"] and api.summary["refused_urls"] == len(HOSTILE_LINKS)
    assert f"{site.url}/api/v2?page=2&key=${{HOTLINE_KEY}}" in api.log  # the failing page, named safely
    assert key not in api.log and key not in json.dumps(api.summary)

    rss = crawl(config_dir, data, "hostile-feed")
    assert rss.returncode == 0, rss.log[-3000:]
    assert [i["url"] for i in rss.items] == [f"{site.url}/t/7"] and rss.summary["refused_urls"] == len(HOSTILE_LINKS)
