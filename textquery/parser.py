"""Tokeniser, recursive-descent parser and evaluator for the query language (see the package docstring)."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

MAX_QUERY_CHARS = 2_000
MAX_DEPTH = 50


class QuerySyntaxError(ValueError):
    """A query that cannot be parsed; `position` is the 0-based character offset in the query as given."""

    def __init__(self, message: str, position: int, *, zh: str) -> None:
        super().__init__(f"{message} at position {position}")
        self.message = message
        self.position = position
        self.zh = f"{zh}（第 {position + 1} 个字符处）"


@dataclass(frozen=True)
class Term:
    text: str
    phrase: bool = False


@dataclass(frozen=True)
class Not:
    child: Node


@dataclass(frozen=True)
class And:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    children: tuple[Node, ...]


Node = Term | Not | And | Or


@dataclass(frozen=True)
class _Token:
    kind: str  # WORD, PHRASE, AND, OR, NOT, LPAREN, RPAREN, END
    text: str
    position: int


_KEYWORDS = {"AND": "AND", "OR": "OR", "NOT": "NOT"}
_SYMBOLS = {"(": "LPAREN", ")": "RPAREN", "&": "AND", "|": "OR"}
_QUOTES = {'"': '"', "“": "”", "”": "”"}
# Characters that end a bare word.
_BREAK = set(_SYMBOLS) | set(_QUOTES) | {"”"}


def _fold(ch: str) -> str:
    # Full-width （）｜＆＂ become their ASCII forms; only single-character results, so positions stay valid.
    folded = unicodedata.normalize("NFKC", ch)
    return folded if len(folded) == 1 else ch


def _tokens(query: str) -> list[_Token]:
    text = "".join(_fold(ch) for ch in query)
    out: list[_Token] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch.isspace():
            i += 1
        elif ch in _SYMBOLS:
            out.append(_Token(_SYMBOLS[ch], ch, i))
            i += 1
        elif ch in _QUOTES:
            close = text.find(_QUOTES[ch], i + 1)
            if close < 0:
                raise QuerySyntaxError("unclosed quotation mark", i, zh="引号没有闭合")
            phrase = text[i + 1 : close].strip()
            if not phrase:
                raise QuerySyntaxError("empty phrase", i, zh="引号内为空")
            out.append(_Token("PHRASE", phrase, i))
            i = close + 1
        elif ch == "-":  # a '-' that starts a token negates it; inside a word (COVID-19) it is part of the word
            out.append(_Token("NOT", ch, i))
            i += 1
        else:
            start = i
            while i < len(text) and not text[i].isspace() and text[i] not in _BREAK:
                i += 1
            word = text[start:i]
            out.append(_Token(_KEYWORDS.get(word, "WORD"), word, start))
    out.append(_Token("END", "", len(text)))
    return out


def expand(query: str, synonyms: Mapping[str, Sequence[str]]) -> str:
    """The query with every bare word that has synonyms replaced by ("word" OR "synonym" …): a unit's short
    name finds its full name (城关一中 → 城关第一中学). Phrases, operators and other words stay as written."""
    try:
        tokens = _tokens(query)
    except QuerySyntaxError:
        return query  # the parser reports it, at the position the user typed
    out: list[str] = []
    at = 0
    for token in tokens:
        names = synonyms.get(token.text) if token.kind == "WORD" else None
        if not names:
            continue
        end = token.position + len(token.text)
        group = " OR ".join(f'"{name}"' for name in dict.fromkeys([token.text, *names]))
        out += [query[at : token.position], f"({group})"]
        at = end
    return "".join(out) + query[at:]


class _Parser:
    def __init__(self, tokens: list[_Token]) -> None:
        self.tokens = tokens
        self.i = 0
        self.depth = 0

    @property
    def current(self) -> _Token:
        return self.tokens[self.i]

    def _take(self) -> _Token:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def parse(self) -> Node:
        if self.current.kind == "END":
            raise QuerySyntaxError("empty query", 0, zh="查询为空")
        node = self._or()
        if self.current.kind == "RPAREN":
            raise QuerySyntaxError("')' without a matching '('", self.current.position, zh="右括号没有对应的左括号")
        if self.current.kind != "END":  # pragma: no cover - every other token starts an operand
            raise QuerySyntaxError(f"unexpected {self.current.text!r}", self.current.position, zh="无法理解的符号")
        return node

    def _or(self) -> Node:
        children = [self._and()]
        while self.current.kind == "OR":
            self._take()
            children.append(self._and())
        return children[0] if len(children) == 1 else Or(tuple(children))

    def _and(self) -> Node:
        children = [self._not()]
        while self.current.kind in ("AND", "WORD", "PHRASE", "NOT", "LPAREN"):
            if self.current.kind == "AND":
                self._take()
            children.append(self._not())
        return children[0] if len(children) == 1 else And(tuple(children))

    def _not(self) -> Node:
        if self.current.kind == "NOT":
            self._take()
            return Not(self._not())
        return self._operand()

    def _operand(self) -> Node:
        token = self.current
        if token.kind == "WORD":
            self._take()
            return Term(token.text)
        if token.kind == "PHRASE":
            self._take()
            return Term(token.text, phrase=True)
        if token.kind == "LPAREN":
            self._take()
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise QuerySyntaxError("parentheses nested too deeply", token.position, zh="括号嵌套过深")
            if self.current.kind == "RPAREN":
                raise QuerySyntaxError("empty parentheses", token.position, zh="括号内为空")
            node = self._or()
            if self.current.kind != "RPAREN":
                raise QuerySyntaxError("'(' is never closed", token.position, zh="左括号没有闭合")
            self._take()
            self.depth -= 1
            return node
        if token.kind == "END":
            raise QuerySyntaxError("query ends where a word was expected", token.position, zh="查询不完整，缺少词语")
        if token.kind == "RPAREN":
            raise QuerySyntaxError("')' without a matching '('", token.position, zh="右括号没有对应的左括号")
        raise QuerySyntaxError(f"{token.text!r} where a word was expected", token.position, zh="此处应为词语")


def parse(query: str) -> Node:
    """Parse `query`; raises QuerySyntaxError naming the position of the first problem."""
    if len(query) > MAX_QUERY_CHARS:
        raise QuerySyntaxError(f"query longer than {MAX_QUERY_CHARS} characters", MAX_QUERY_CHARS, zh="查询过长")
    return _Parser(_tokens(query)).parse()


def terms(node: Node, *, positive_only: bool = False) -> list[Term]:
    """Every term in the query, in order, without repeats; `positive_only` leaves out terms under a NOT."""
    out: dict[Term, None] = {}

    def walk(n: Node, negated: bool) -> None:
        if isinstance(n, Term):
            if not (positive_only and negated):
                out[n] = None
        elif isinstance(n, Not):
            walk(n.child, not negated)
        else:
            for child in n.children:
                walk(child, negated)

    walk(node, False)
    return list(out)


def evaluate(node: Node, present: Callable[[Term], bool]) -> bool:
    if isinstance(node, Term):
        return present(node)
    if isinstance(node, Not):
        return not evaluate(node.child, present)
    if isinstance(node, And):
        return all(evaluate(c, present) for c in node.children)
    return any(evaluate(c, present) for c in node.children)


def matches_without_words(node: Node) -> bool:
    """True when a text containing none of the query's words would match (e.g. `NOT 演练`)."""
    return evaluate(node, lambda _term: False)
