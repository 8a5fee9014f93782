"""The source kinds' registry: each kind's typed config, its spider, and a forgotten piece named at load."""

from __future__ import annotations

import importlib
import typing
from pathlib import Path

import pytest

from config import ConfigError, load_config
from config.sources import SOURCE_KINDS, AnySource, SourceKind, kind_problems


def test_every_kind_of_the_union_is_registered_and_the_other_way_round() -> None:
    members = typing.get_args(typing.get_args(AnySource)[0])
    tags = {typing.get_args(m)[1].tag: typing.get_args(m)[0] for m in members}
    assert {k: v.config for k, v in SOURCE_KINDS.items()} == tags


@pytest.mark.parametrize("kind", sorted(SOURCE_KINDS))
def test_each_kinds_spider_exists_and_is_named_as_registered(kind: str) -> None:
    entry = SOURCE_KINDS[kind]
    module, _, name = entry.spider.partition(":")
    spider = getattr(importlib.import_module(module), name)
    assert spider.name == entry.spider_name


def test_a_kind_without_its_spider_fails_at_load_with_file_and_field(
    example_config_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    html = SOURCE_KINDS["html"]
    forgotten = SourceKind(html.config, "crawlers.spiders.xml:XmlSpider", "xml", "item")
    monkeypatch.setitem(SOURCE_KINDS, "html", forgotten)
    with pytest.raises(ConfigError) as caught:
        load_config(example_config_copy)
    found = [str(i) for i in caught.value.issues]
    assert any(
        "sources.yaml: sources[0].kind: 找不到抓取 'html' 类信源的爬虫模块 crawlers.spiders.xml" in i for i in found
    ), found


def test_a_kind_missing_from_the_registry_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    source = load_config(Path(__file__).resolve().parents[2] / "config" / "example").sources[0]
    monkeypatch.delitem(SOURCE_KINDS, source.kind)
    assert kind_problems(source) == [("kind", f"类型 {source.kind!r} 未登记（config/sources.py 的 SOURCE_KINDS）")]
