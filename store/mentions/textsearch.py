"""The analysts' query language (textquery: words, "phrases", AND/OR/NOT, parentheses) as the mention stores run
it: a tree whose leaves are the jieba tokens of each word, cut as for indexing, so both backends find exactly the
same posts.

A word or phrase matches a post that has all of its tokens (jieba cuts 城关一中食堂 into several). What a store
cannot run is refused with `UnsupportedQuery`, never searched as something else: a query must have a word to
find, and NOT only takes away from what the words beside it find (`学校 NOT 演练`, not `NOT 演练` nor
`学校 OR NOT 演练`).
"""

from __future__ import annotations

from dataclasses import dataclass

import textquery
from store.tokens import tokenize


class UnsupportedQuery(ValueError):
    """A query that parses but that no store can run as meant; the message says why, in English and Chinese."""

    def __init__(self, message: str, zh: str) -> None:
        super().__init__(message)
        self.zh = zh


@dataclass(frozen=True)
class Words:
    tokens: tuple[str, ...]  # all required


@dataclass(frozen=True)
class AllOf:
    required: tuple[Plan, ...]  # at least one
    excluded: tuple[Plan, ...] = ()


@dataclass(frozen=True)
class AnyOf:
    options: tuple[Plan, ...]


Plan = Words | AllOf | AnyOf


def plan(text: str | None) -> Plan | None:
    """The query as tokens and operators; None when it has no word to search (so nothing matches).

    Raises textquery.QuerySyntaxError (with the position) or UnsupportedQuery."""
    if text is None or not text.strip():
        return None
    node = textquery.parse(text)
    if textquery.matches_without_words(node):
        raise UnsupportedQuery(
            "a query needs a word that the posts must contain; NOT only takes away from what the other words find",
            "检索式至少要有一个必须出现的词；NOT 只能排除其他词检索到的结果",
        )
    return _plan(node)


def _plan(node: textquery.Node) -> Plan | None:
    if isinstance(node, textquery.Term):
        tokens = tuple(dict.fromkeys(tokenize(node.text)))
        return Words(tokens) if tokens else None
    if isinstance(node, textquery.Not):
        if isinstance(node.child, textquery.Not):  # NOT NOT x is x
            return _plan(node.child.child)
        raise UnsupportedQuery(
            "NOT must stand beside a word it takes away from (学校 NOT 演练), not alone or in an OR",
            "NOT 只能与要检索的词并列使用（如 学校 NOT 演练），不能单独使用或放在 OR 中",
        )
    if isinstance(node, textquery.And):
        required: list[Plan] = []
        excluded: list[Plan] = []
        for child in node.children:
            if isinstance(child, textquery.Not) and not isinstance(child.child, textquery.Not):
                found = _plan(child.child)
                if found is not None:
                    excluded.append(found)
            else:
                found = _plan(child)
                if found is not None:
                    required.append(found)
        if not required:
            return None
        if len(required) == 1 and not excluded:
            return required[0]
        return AllOf(tuple(required), tuple(excluded))
    options = [found for child in node.children if (found := _plan(child)) is not None]
    if not options:
        return None
    return options[0] if len(options) == 1 else AnyOf(tuple(options))


def positive_tokens(node: Plan | None) -> list[str]:
    """The tokens a matching post may contain (not those excluded): for relevance and highlights."""
    out: dict[str, None] = {}

    def walk(n: Plan) -> None:
        if isinstance(n, Words):
            out.update(dict.fromkeys(n.tokens))
        elif isinstance(n, AllOf):
            for child in n.required:
                walk(child)
        else:
            for child in n.options:
                walk(child)

    if node is not None:
        walk(node)
    return list(out)


def phrases(node: Plan) -> list[str]:
    """The quoted phrases of `fts5(node)`, in the order they appear in it (FTS5 numbers a query's phrases so),
    excluded ones included: what a relevance score sums over."""
    if isinstance(node, Words):
        return [_quoted(token) for token in node.tokens]
    children = (*node.required, *node.excluded) if isinstance(node, AllOf) else node.options
    return [phrase for child in children for phrase in phrases(child)]


def _quoted(token: str) -> str:
    return '"' + token.replace('"', '""') + '"'


def fts5(node: Plan) -> str:
    """An FTS5 MATCH expression. Every token is a quoted string, so user input never becomes FTS5 syntax."""
    if isinstance(node, Words):
        quoted = [_quoted(token) for token in node.tokens]
        return quoted[0] if len(quoted) == 1 else "(" + " AND ".join(quoted) + ")"
    if isinstance(node, AllOf):
        expression = "(" + " AND ".join(fts5(child) for child in node.required) + ")"
        for child in node.excluded:  # NOT binds left to right: ((a NOT b) NOT c)
            expression = f"({expression} NOT {fts5(child)})"
        return expression
    return "(" + " OR ".join(fts5(child) for child in node.options) + ")"
