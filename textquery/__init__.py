"""The boolean query language shared by monitoring schemes and search.

Words and "quoted phrases" joined by AND, OR and NOT with parentheses; whitespace between terms means AND.
`&`, `|` and a leading `-` are accepted as AND, OR and NOT, and full-width forms typed with a Chinese input
method (（）｜＆＂) work too, as do Chinese quotes “…”. NOT binds tightest, then AND, then OR.

    (城关 OR 县城) 学校 "食物中毒" NOT 演练
"""

from textquery.parser import (
    And,
    Node,
    Not,
    Or,
    QuerySyntaxError,
    Term,
    evaluate,
    expand,
    matches_without_words,
    parse,
    terms,
)

__all__ = [
    "And",
    "Node",
    "Not",
    "Or",
    "QuerySyntaxError",
    "Term",
    "evaluate",
    "expand",
    "matches_without_words",
    "parse",
    "terms",
]
