"""The schema of a fact, the registry's unit: a named risk contribution a duty officer grades a post by, the whole
words that show it, and the examples that prove it (tests/analysis/test_fact_registry.py reads every entry's
examples). An entry missing a piece fails when the registry loads, naming the file and the field."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

CATALOGUE_FILE = "analysis/facts/catalogue.py"
_ID = re.compile(r"^[a-z][a-z_]*$")
_CJK = re.compile(r"[\u4e00-\u9fff]")


@dataclass(frozen=True)
class Context:
    """Words that, within `within` words of a fact word (before it for `not_after`, after it for `not_before`),
    show the fact word is used in another sense: 树木…死亡, 死亡威胁, 扣押车辆."""

    words: frozenset[str]
    within: int


class FactRegistryError(ValueError):
    """A fact entry is malformed: the message names the file, the fact and the field (in Chinese)."""


@dataclass(frozen=True)
class Fact:
    id: str  # registry key, stored with each mention's facts
    zh: str  # shown to users
    words: frozenset[str]  # whole words (or runs of up to three adjacent words) that show it
    examples: tuple[str, ...] = ()  # texts stating it: the registry test finds it in each
    counter_examples: tuple[str, ...] = ()  # texts that must not state it (negated, feared, another sense)
    harm: bool = False  # harm already done (the guide's "harmed"): feared harm (以免/可能/担心…) does not count
    corroborates: bool = False  # bears out a 重大 scheme (analysis/risk.py)
    feared_blocks: bool = False  # like harm, a word after 一旦/可能/扬言… does not count (without being harm)
    # Structural facts: a word of `words` counts only with a word of `near` in the same sentence (a harm word with
    # a child, an official with a wrongful act). Both words are shown.
    near: frozenset[str] = field(default_factory=frozenset)
    # A near word may also be any word ending in one of these (an office: 规划局, 执行局, 文物所 — too many to list).
    near_endings: tuple[str, ...] = ()
    counts_at_least: int = 0  # a parsed head count (二十多名, 272人, 千余人) at least this large shows it
    # A feature of the grader (analysis/grader.py). The structural facts are shown and bear out schemes but are
    # not weighed: as features they lowered ≥ 重大 on DEV k-fold (GRADER_CARD.md, "What was tried").
    weighed: bool = True
    # A fact word does not count after a word of a `not_after` context or before one of a `not_before` context.
    not_after: tuple[Context, ...] = ()
    not_before: tuple[Context, ...] = ()


def fact(
    id: str,
    zh: str,
    words: str,
    *,
    examples: tuple[str, ...],
    counter_examples: tuple[str, ...],
    near: str = "",
    near_endings: str = "",
    harm: bool = False,
    corroborates: bool = False,
    feared_blocks: bool = False,
    counts_at_least: int = 0,
    weighed: bool = True,
    not_after: tuple[tuple[str, int], ...] = (),
    not_before: tuple[tuple[str, int], ...] = (),
) -> Fact:
    """An entry of the catalogue: words and `near` as space-separated whole words, `near_endings` as space-separated
    endings of near words; `not_after` and `not_before` as (space-separated whole words, within how many words)
    pairs."""
    return Fact(
        id,
        zh,
        frozenset(words.split()),
        tuple(examples),
        tuple(counter_examples),
        harm,
        corroborates,
        feared_blocks or harm,
        frozenset(near.split()),
        tuple(near_endings.split()),
        counts_at_least,
        weighed,
        tuple(Context(frozenset(w.split()), n) for w, n in not_after),
        tuple(Context(frozenset(w.split()), n) for w, n in not_before),
    )


def validate(facts: tuple[Fact, ...]) -> tuple[Fact, ...]:
    """The registry as loaded: every entry complete and its id unique, or FactRegistryError naming the field."""
    seen: set[str] = set()
    for f in facts:
        where = f"{CATALOGUE_FILE}：事实「{f.id or f.zh or '?'}」"
        if not _ID.match(f.id):
            raise FactRegistryError(f"{where} 的字段 id 须为小写英文字母与下划线")
        if f.id in seen:
            raise FactRegistryError(f"{where} 的字段 id 重复")
        seen.add(f.id)
        if not _CJK.search(f.zh):
            raise FactRegistryError(f"{where} 的字段 zh 缺少中文名称")
        if not f.words and not f.counts_at_least:
            raise FactRegistryError(f"{where} 的字段 words 为空")
        if not f.examples:
            raise FactRegistryError(f"{where} 缺少字段 examples（至少一条陈述该事实的例句）")
        if not f.counter_examples:
            raise FactRegistryError(f"{where} 缺少字段 counter_examples（至少一条不应判为该事实的例句）")
        for name, contexts in (("not_after", f.not_after), ("not_before", f.not_before)):
            if any(not c.words or c.within < 1 for c in contexts):
                raise FactRegistryError(f"{where} 的字段 {name} 须为非空词表且距离至少为 1")
    return facts
