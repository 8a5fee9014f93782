"""A sitemap source (kind `sitemap`) crawled for real on 127.0.0.1: the posts among the site's URLs (by
post_id_pattern), each post's page read with the thread selectors, <lastmod> where the page gives no time, known
posts not fetched again, and a sitemap index or a page that is no sitemap counted as a failure with its reason."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

SOURCES = """sources:
  - id: town-news
    name: 城关镇政务公开（站点地图）
    kind: sitemap
    start_urls: ["{url}/sitemap.xml"]
    post_id_pattern: "/news/(\\\\d+)\\\\.html"
    unit: county
    allow_private_addresses: true
    download_delay: 0
    thread:
      title: "h1::text"
      content: "div.article"
      published_at: "span.time::text"
  - id: town-index
    name: 城关镇（站点地图索引）
    kind: sitemap
    start_urls: ["{url}/sitemap-index.xml", "{url}/not-a-sitemap.html"]
    post_id_pattern: "/news/(\\\\d+)\\\\.html"
    allow_private_addresses: true
    download_delay: 0
    thread:
      content: "div.article"
"""

SITEMAP = """<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <url><loc>{url}/about.html</loc><lastmod>2026-11-01</lastmod></url>
  <url><loc>{url}/news/7.html</loc><lastmod>2026-11-29T10:00:00+08:00</lastmod></url>
  <url><loc>{url}/news/8.html?utm_source=sitemap</loc><lastmod>2026-11-30</lastmod></url>
  <url><lastmod>2026-11-30</lastmod></url>
</urlset>"""

INDEX = """<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <sitemap><loc>{url}/sitemap.xml</loc></sitemap>
</sitemapindex>"""


def _article(title: str, text: str, when: str | None) -> str:
    time = f'<span class="time">{when}</span>' if when else ""
    return f"<html><body><h1>{title}</h1>{time}<div class='article'><p>{text}</p></div></body></html>"


def test_a_sitemap_source(tmp_path: Path, mock_site: Any, make_config: Any, crawl: Callable[..., Any]) -> None:
    site = mock_site
    site.allow_all()
    site.raw("/sitemap.xml", SITEMAP.format(url=site.url).encode(), "application/xml")
    site.raw("/sitemap-index.xml", INDEX.format(url=site.url).encode(), "application/xml")
    site.html("/not-a-sitemap.html", "<html><body>首页</body></html>")
    site.html("/news/7.html", _article("城关镇召开防汛会议", "城关镇部署防汛工作。", "2026-11-29 09:30"))
    site.html("/news/8.html", _article("城关一中食堂整改", "食堂已完成整改。", None))
    config_dir = make_config(tmp_path / "config", board_url=site.url)
    (config_dir / "sources.yaml").write_text(SOURCES.format(url=site.url), encoding="utf-8")
    data = tmp_path / "data"

    first = crawl(config_dir, data, "town-news")
    assert first.returncode == 0, first.log[-3000:]
    by_id = {i["post_id"]: i for i in first.items}
    assert set(by_id) == {"7", "8"}
    assert "/about.html" not in site.hits  # a page of the site, not a post
    assert by_id["7"]["title"] == "城关镇召开防汛会议" and by_id["7"]["content"] == "城关镇部署防汛工作。"
    assert by_id["7"]["published_at"] == "2026-11-29T01:30:00+00:00"  # the page's own time, Beijing
    assert by_id["8"]["published_at"] == "2026-11-29T16:00:00+00:00"  # no time on the page: <lastmod>, Beijing
    assert by_id["8"]["url"] == f"{site.url}/news/8.html"  # tracking parameter dropped
    assert first.summary["parse_failures"] == 1  # the <url> without <loc>

    again = crawl(config_dir, data, "town-news")
    assert again.returncode == 0 and again.summary["new"] == 0
    assert site.count("/news/7.html") == 1 and site.count("/news/8.html") == 1  # known: not fetched again

    index = crawl(config_dir, data, "town-index")
    assert index.returncode == 0 and index.items == []
    assert index.summary["parse_failures"] == 2
    assert "站点地图索引" in index.log and "不是站点地图" in index.log
