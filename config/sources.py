"""Source definitions: how to read a board, a feed or a JSON API, written by an operator in sources.yaml.

Selectors are CSS as in Scrapy (`::text`, `::attr(href)`); a selector starting with `xpath:` is XPath instead,
for what CSS cannot say (the n-th cell, text after a label, attributes of a parent).
"""

from __future__ import annotations

import codecs
import importlib.util
import re
from dataclasses import dataclass
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from parsel import Selector
from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, field_validator, model_validator

IDENT = r"^[a-z0-9][a-z0-9_-]*$"
XPATH_PREFIX = "xpath:"
MB = 1024 * 1024
# `list` is also a field of Source (the list page), which hides the builtin inside that class body.
Strings = list[str]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def check_selector(value: str | None) -> str | None:
    """Refuse a selector parsel cannot compile now, not at 3 a.m. on the first crawl."""
    if value is None:
        return None
    if not value.strip():
        raise ValueError("选择器为空")
    probe = Selector(text="<html></html>")
    try:
        if value.startswith(XPATH_PREFIX):
            probe.xpath(value[len(XPATH_PREFIX) :])
        else:
            probe.css(value)
    except Exception as exc:  # parsel raises cssselect's and lxml's own error types
        kind = "XPath" if value.startswith(XPATH_PREFIX) else "CSS"
        # cssselect says where ("… at 4>"); its English wording is not what an operator reads.
        at = re.search(r"\bat (\d+)>?\s*$", str(exc))
        where = f"（第 {int(at[1]) + 1} 个字符附近有误）" if at else ""
        raise ValueError(f"不是有效的 {kind} 选择器{where}") from None
    return value


class ListSelectors(_Strict):
    """How to read a list page: one element per post, the link to its thread, what the list shows of it, and
    how to reach the next page (a next link, or a page-number template such as `…/list?page={page}`)."""

    item: str = Field(description="selector for one post on the list page")
    url: str = Field(description="selector, relative to the item, yielding the thread URL")
    title: str | None = None
    published_at: str | None = None
    author: str | None = None
    reply_count: str | None = None
    view_count: str | None = None
    up_votes: str | None = Field(default=None, description="votes for (点赞/支持), where the board shows them")
    down_votes: str | None = Field(default=None, description="votes against (反对)")
    status: str | None = Field(default=None, description="e.g. 已回复/未回复")
    next_page: str | None = Field(default=None, description="selector yielding the next page's URL")
    page_url: str | None = Field(default=None, description="URL template with {page}, for page 2 onwards")
    first_page: int = Field(default=1, ge=0, description="the number of the start URL's page in page_url")
    page_step: int = Field(default=1, ge=1, description="what {page} grows by: 50 for offsets such as pn=0,50,100")
    max_pages: int = Field(default=3, ge=1, le=1000)

    check_selectors = field_validator(
        "item",
        "url",
        "title",
        "published_at",
        "author",
        "reply_count",
        "view_count",
        "up_votes",
        "down_votes",
        "status",
        "next_page",
    )(check_selector)

    @field_validator("page_url")
    @classmethod
    def _template(cls, value: str | None) -> str | None:
        if value is not None and "{page}" not in value:
            raise ValueError("page_url 须包含 {page}（页码所在的位置）")
        return value


class OfficialReplySelectors(_Strict):
    """The answer a complaint board publishes under a post (官方回复, 办理结果): stored as its own field, never
    counted as a 跟帖 nor mixed into the post's text."""

    content: str = Field(description="the reply's text")
    unit: str | None = Field(default=None, description="the replying office, e.g. 回复单位：县教育局")
    published_at: str | None = Field(default=None, description="when it replied")

    check_selectors = field_validator("content", "unit", "published_at")(check_selector)


class ThreadSelectors(_Strict):
    """How to read a thread page."""

    title: str | None = None
    content: str
    published_at: str | None = None
    author: str | None = None
    reply_count: str | None = None
    view_count: str | None = None
    up_votes: str | None = Field(default=None, description="votes for (点赞/支持)")
    down_votes: str | None = Field(default=None, description="votes against (反对)")
    status: str | None = None
    replies: str | None = Field(
        default=None,
        description="selector for one 跟帖; counted only when neither this page's nor the list's reply_count gives one",
    )
    official_reply: OfficialReplySelectors | None = None
    deleted_markers: list[str] = Field(
        default_factory=list, description="text that means the post was removed, e.g. 该帖已被删除"
    )

    check_selectors = field_validator(
        "title",
        "content",
        "published_at",
        "author",
        "reply_count",
        "view_count",
        "up_votes",
        "down_votes",
        "status",
        "replies",
    )(check_selector)


class JsonFields(_Strict):
    """A JSON API's answer: where the list of posts is, and which field of a post holds what. Paths are dotted
    (`data.list`, `user.name`); numbers index lists (`items.0`)."""

    items: str = Field(description="path to the list of posts; empty string when the answer is the list")
    id: str = Field(description="path to the post's id")
    url: str | None = Field(default=None, description="path to the post's page URL")
    url_template: str | None = Field(default=None, description="the post's page URL from its id: …/{id}")
    title: str | None = None
    content: str | None = None
    published_at: str | None = Field(default=None, description="a time text, or seconds/milliseconds since 1970")
    author: str | None = None
    reply_count: str | None = None
    view_count: str | None = None
    up_votes: str | None = Field(default=None, description="path to the votes for (点赞)")
    down_votes: str | None = Field(default=None, description="path to the votes against (反对)")
    status: str | None = None
    page_url: str | None = Field(default=None, description="URL template with {page}, for page 2 onwards")
    first_page: int = Field(default=1, ge=0)
    page_step: int = Field(default=1, ge=1)
    max_pages: int = Field(default=1, ge=1, le=1000)

    @model_validator(mode="after")
    def _page_url(self) -> JsonFields:
        if not (self.url or self.url_template):
            raise ValueError("须给出 url（帖子链接所在的字段）或 url_template（含 {id}）")
        if self.url_template is not None and "{id}" not in self.url_template:
            raise ValueError("url_template 须包含 {id}（帖子编号所在的位置）")
        if self.page_url is not None and "{page}" not in self.page_url:
            raise ValueError("page_url 须包含 {page}（页码所在的位置）")
        return self


SourceKindName = Literal["html", "rss", "atom", "json", "sitemap"]


class Source(_Strict):
    """What every kind of source has; each kind's typed config below (HtmlSource, FeedSource, JsonSource) says
    which of the kind-specific fields it needs or refuses. `sources.yaml` is read as one of those (AnySource)."""

    id: str = Field(pattern=IDENT)
    name: str
    kind: SourceKindName = "html"
    start_urls: Strings = Field(min_length=1)
    allowed_domains: Strings = Field(default_factory=list, description="default: the start URLs' hosts")
    post_id_pattern: str | None = Field(
        default=None,
        description="regular expression with one group taking the post id from the thread URL (html: required)",
    )
    list: ListSelectors | None = Field(default=None, description="html: the list page")
    thread: ThreadSelectors | None = Field(
        default=None, description="html: the thread page; rss/atom/json: fetch each post's page for its text"
    )
    json_fields: JsonFields | None = Field(default=None, alias="json", description="json: the API's answer")
    unit: str | None = Field(default=None, description="unit a post concerns when its text names none")
    encoding: str | None = Field(default=None, description="override when the board lies about its charset")
    timezone: str = "Asia/Shanghai"
    interval_seconds: int = Field(default=300, ge=5)
    weight: float = Field(default=1.0, ge=0.0, le=10.0)
    enabled: bool = True
    obey_robots: bool = True
    allow_private_addresses: bool = False
    concurrency: int = Field(default=2, ge=1, le=8, description="requests at once to this board")
    download_delay: float = Field(default=0.5, ge=0.0, le=60.0, description="seconds between requests")
    max_page_bytes: int = Field(default=5 * MB, ge=64 * 1024, le=100 * MB, description="longer pages are cut")
    revisit_hours: float = Field(
        default=48.0, ge=0.0, le=24 * 90, description="revisit threads this young for replies, views, edits"
    )
    revisit_every_seconds: int = Field(default=3600, ge=60)
    revisit_limit: int = Field(default=100, ge=0, le=10_000, description="threads revisited per crawl at most")
    quiet_after_hours: float | None = Field(
        default=72.0, gt=0, description="operations alert when no new post for this long; null: never"
    )
    failing_after: int = Field(default=3, ge=1, le=100, description="operations alert after this many failed runs")

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @field_validator("post_id_pattern")
    @classmethod
    def _one_group(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            compiled = re.compile(value)
        except re.error as exc:
            at = f"（第 {exc.pos + 1} 个字符附近有误）" if exc.pos is not None else ""
            raise ValueError(f"不是有效的正则表达式{at}") from exc
        if compiled.groups != 1:
            raise ValueError(f"须有且只有一个括号分组（取出帖子编号），现有 {compiled.groups} 个")
        return value

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            codecs.lookup(value)
        except LookupError:
            raise ValueError(f"未知的编码 {value!r}（可用如 gb18030、big5、utf-8）") from None
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"未知的时区 {value!r}（如 Asia/Shanghai）") from None
        return value

    @property
    def hosts(self) -> Strings:
        return self.allowed_domains or sorted({urlsplit(u).hostname or "" for u in self.start_urls})


class HtmlSource(Source):
    """An HTML board: list pages, then each thread's page."""

    kind: Literal["html"] = "html"
    post_id_pattern: str = Field(description="regular expression with one group taking the post id from the URL")
    list: ListSelectors
    thread: ThreadSelectors
    json_fields: None = Field(default=None, alias="json", description="only for kind json")


class FeedSource(Source):
    """An RSS or Atom feed: the items carry the text (or `thread` selectors fetch each item's page)."""

    kind: Literal["rss", "atom"]
    list: None = Field(default=None, description="a feed has no list selectors")
    json_fields: None = Field(default=None, alias="json", description="only for kind json")


class JsonSource(Source):
    """A JSON API: dotted paths to the list of posts and to each field."""

    kind: Literal["json"]
    json_fields: JsonFields = Field(alias="json", description="where the posts and their fields are")


class SitemapSource(Source):
    """A sitemap (sitemaps.org `<urlset>`): the site's page URLs with their `lastmod`. `post_id_pattern` picks the
    posts among them (other pages are passed over) and `thread` reads each new post's page."""

    kind: Literal["sitemap"]
    post_id_pattern: str = Field(description="regular expression with one group taking the post id from the URL")
    list: None = Field(default=None, description="a sitemap has no list selectors")
    thread: ThreadSelectors
    json_fields: None = Field(default=None, alias="json", description="only for kind json")


@dataclass(frozen=True)
class SourceKind:
    """One kind of source, everything that differs by kind: its typed config, the Scrapy spider that crawls it
    (an import path, loaded only in a crawl process: configuration stays Scrapy-free), the spider's name for
    `scrapy crawl`, and what the workbench calls one item of its list when the source names no selector."""

    config: type[Source]
    spider: str
    spider_name: str
    list_item: str

    @property
    def spider_module(self) -> str:
        return self.spider.partition(":")[0]


# The registry of source kinds. A new kind: its typed config above (and a member of AnySource below), its entry
# here, its spider module, its test. check-config refuses a configured kind missing here or without its spider.
SOURCE_KINDS: dict[str, SourceKind] = {
    "html": SourceKind(HtmlSource, "crawlers.spiders.board:BoardSpider", "board", "list.item"),
    "rss": SourceKind(FeedSource, "crawlers.spiders.feed:FeedSpider", "feed", "item"),
    "atom": SourceKind(FeedSource, "crawlers.spiders.feed:FeedSpider", "feed", "entry"),
    "json": SourceKind(JsonSource, "crawlers.spiders.api:ApiSpider", "api", "json.items"),
    "sitemap": SourceKind(SitemapSource, "crawlers.spiders.sitemap:SitemapSpider", "sitemap", "url"),
}


def _kind_of(value: Any) -> str:
    """The discriminator: a source without `kind` is an HTML board."""
    if isinstance(value, dict):
        return str(value.get("kind", "html"))
    return str(getattr(value, "kind", "html"))


# sources.yaml's entries, each validated as its kind's config (errors name the kind's own fields).
AnySource = Annotated[
    Annotated[HtmlSource, Tag("html")]
    | Annotated[FeedSource, Tag("rss")]
    | Annotated[FeedSource, Tag("atom")]
    | Annotated[JsonSource, Tag("json")]
    | Annotated[SitemapSource, Tag("sitemap")],
    Discriminator(_kind_of),
]


def kind_problems(source: Source) -> list[tuple[str, str]]:
    """(field, why) when a source's kind is not wholly registered: no entry, a config of another type, or a
    spider module that does not exist. Only looks the module up (no Scrapy is imported)."""
    entry = SOURCE_KINDS.get(source.kind)
    if entry is None:
        return [("kind", f"类型 {source.kind!r} 未登记（config/sources.py 的 SOURCE_KINDS）")]
    problems: list[tuple[str, str]] = []
    if not isinstance(source, entry.config):
        problems.append(
            ("kind", f"类型 {source.kind!r} 应按 {entry.config.__name__} 读取，实际为 {type(source).__name__}")
        )
    try:
        found = importlib.util.find_spec(entry.spider_module) is not None
    except ModuleNotFoundError:
        found = False
    if not found:
        problems.append(("kind", f"找不到抓取 {source.kind!r} 类信源的爬虫模块 {entry.spider_module}"))
    return problems
