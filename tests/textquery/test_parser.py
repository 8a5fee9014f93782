"""The query language: what parses to what, what is refused and where, and how queries evaluate."""

from __future__ import annotations

import pytest

from textquery import And, Not, Or, QuerySyntaxError, Term, evaluate, expand, matches_without_words, parse, terms


@pytest.mark.parametrize(
    ("query", "tree"),
    [
        ("学校", Term("学校")),
        ("学校 食堂", And((Term("学校"), Term("食堂")))),
        ("学校 AND 食堂", And((Term("学校"), Term("食堂")))),
        ("学校 & 食堂", And((Term("学校"), Term("食堂")))),
        ("学校 OR 食堂", Or((Term("学校"), Term("食堂")))),
        ("学校 | 食堂", Or((Term("学校"), Term("食堂")))),
        ("学校 ｜ 食堂", Or((Term("学校"), Term("食堂")))),
        ("NOT 演练", Not(Term("演练"))),
        ("学校 -演练", And((Term("学校"), Not(Term("演练"))))),
        ("COVID-19", Term("COVID-19")),
        ('"食物 中毒"', Term("食物 中毒", phrase=True)),
        ("“食物中毒”", Term("食物中毒", phrase=True)),
        ("（城关 OR 县城）学校", And((Or((Term("城关"), Term("县城"))), Term("学校")))),
        # NOT binds tighter than AND, AND tighter than OR
        ("a OR b c", Or((Term("a"), And((Term("b"), Term("c")))))),
        ("NOT a b", And((Not(Term("a")), Term("b")))),
        ("(a OR b) NOT (c OR d)", And((Or((Term("a"), Term("b"))), Not(Or((Term("c"), Term("d"))))))),
        ("and", Term("and")),  # operators are upper case; lower-case words are words
    ],
)
def test_parses(query: str, tree: object) -> None:
    assert parse(query) == tree


@pytest.mark.parametrize(
    ("query", "position", "fragment"),
    [
        ("", 0, "empty query"),
        ("   ", 0, "empty query"),
        ("(学校 OR 食堂", 0, "never closed"),
        ("学校 (食堂 OR (中毒)", 3, "never closed"),
        ("学校 OR 食堂)", 8, "without a matching"),
        (")", 0, "without a matching"),
        ("学校 AND", 6, "ends where a word"),
        ("学校 OR OR 食堂", 6, "where a word was expected"),
        ('"食物中毒', 0, "unclosed quotation"),
        ('学校 ""', 3, "empty phrase"),
        ("()", 0, "empty parentheses"),
        ("NOT", 3, "ends where a word"),
    ],
)
def test_refuses_with_position(query: str, position: int, fragment: str) -> None:
    with pytest.raises(QuerySyntaxError) as caught:
        parse(query)
    assert caught.value.position == position
    assert fragment in str(caught.value)
    assert f"第 {position + 1} 个字符" in caught.value.zh


def test_deep_nesting_and_long_queries_are_refused_not_crashing() -> None:
    with pytest.raises(QuerySyntaxError, match="nested too deeply"):
        parse("(" * 500 + "a" + ")" * 500)
    with pytest.raises(QuerySyntaxError, match="longer than"):
        parse("学校 " * 2000)


@pytest.mark.parametrize(
    ("query", "present", "expected"),
    [
        ("学校 食堂", {"学校", "食堂"}, True),
        ("学校 食堂", {"学校"}, False),
        ("学校 OR 食堂", {"食堂"}, True),
        ("学校 NOT 演练", {"学校", "演练"}, False),
        ("学校 NOT 演练", {"学校"}, True),
        ("(城关 OR 县城) 学校", {"县城", "学校"}, True),
        ("(城关 OR 县城) 学校", {"学校"}, False),
    ],
)
def test_evaluates(query: str, present: set[str], expected: bool) -> None:
    assert evaluate(parse(query), lambda t: t.text in present) is expected


def test_terms_and_queries_that_need_no_words() -> None:
    node = parse("(城关 OR 县城) 学校 NOT 演练 学校")
    assert [t.text for t in terms(node)] == ["城关", "县城", "学校", "演练"]
    assert [t.text for t in terms(node, positive_only=True)] == ["城关", "县城", "学校"]
    assert matches_without_words(parse("NOT 演练"))
    assert not matches_without_words(node)


SYNONYMS = {"城关一中": ["城关第一中学", "县一中"], "县一中": ["城关第一中学", "城关一中"]}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("城关一中", '("城关一中" OR "城关第一中学" OR "县一中")'),
        ("城关一中 食堂", '("城关一中" OR "城关第一中学" OR "县一中") 食堂'),
        ("NOT 县一中 食堂", 'NOT ("县一中" OR "城关第一中学" OR "城关一中") 食堂'),
        ("(县一中|镇政府)", '(("县一中" OR "城关第一中学" OR "城关一中")|镇政府)'),
        ('"城关一中"', '"城关一中"'),  # a phrase is taken as written
        ("城关一中食堂", "城关一中食堂"),  # only whole words
        ("食堂 (", "食堂 ("),  # a syntax error is left for the parser to report
    ],
)
def test_expand(query: str, expected: str) -> None:
    assert expand(query, SYNONYMS) == expected
    if expected != query:
        parse(expected)  # what it makes is a valid query
