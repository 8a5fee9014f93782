"""Chinese tokenisation for indexing and querying: jieba, initialised once per process on first use.

The cutting itself runs in store/_jiebac.c, an exact port of jieba's algorithm (same dictionary, copied from jieba's
own, same HMM tables, same tie-breaking) about 14× faster; the tokens are jieba's, token for token
(tests/store/test_tokens_compiled.py, bench/tokeniser_agreement.py). When the extension was not built (no C
compiler at install) jieba itself cuts, with the same result, and the log says so once."""

from __future__ import annotations

import functools
import logging
import threading
import unicodedata
from collections.abc import Iterable
from importlib import resources
from typing import TYPE_CHECKING

import jieba
from jieba import finalseg

import textquery
from config import Config

if TYPE_CHECKING:
    from store._jiebac import Folder as _Folder
    from store._jiebac import Segmenter as _Segmenter

log = logging.getLogger(__name__)

_lock = threading.Lock()
_ready = False
_compiled: _Segmenter | None = None
# What the compiled copy was made from: jieba's tokenizer, its total and its dictionary's size. Anything that
# changes jieba's dictionary behind store.tokens' back (jieba.add_word in a test) changes one of them, and the copy
# is made again from jieba's.
_copied_from: tuple[object, int, int] = (None, 0, 0)
# Words given before jieba is loaded wait here: loading its dictionary costs about a second of CPU, which a crawl
# that finds nothing new (most re-crawls) never needs to spend.
_pending: set[str] = set()


def _ensure_ready() -> None:
    global _ready
    if _ready:
        return
    with _lock:
        if not _ready:
            jieba.setLogLevel(logging.WARNING)
            jieba.initialize()
            _add_now(_pending)
            _pending.clear()
            _copy_dictionary()
            _ready = True


def _copy_dictionary() -> None:
    # Under _lock, with jieba initialised.
    global _compiled, _copied_from
    segmenter = _segmenter_class()
    if segmenter is None:
        return
    dt = jieba.dt
    _compiled = segmenter(dt.FREQ, dt.total, finalseg.start_P, finalseg.trans_P, finalseg.emit_P)
    _copied_from = (dt, dt.total, len(dt.FREQ))


@functools.cache
def _segmenter_class() -> type[_Segmenter] | None:
    try:
        from store._jiebac import Segmenter
    except ImportError as exc:
        log.warning("编译的分词模块（store/_jiebac.c）未能加载，改由 jieba 本身分词：结果相同，速度较慢（%s）", exc)
        return None
    return Segmenter


def _cutter() -> _Segmenter | None:
    """The compiled copy when it is in step with jieba's dictionary, made again when not; None without it (or
    when jieba was told to split a word apart, jieba.del_word, which the copy does not model)."""
    dt = jieba.dt
    if _compiled is None or finalseg.Force_Split_Words:
        return None
    if _copied_from != (dt, dt.total, len(dt.FREQ)):
        with _lock:
            if _copied_from != (jieba.dt, jieba.dt.total, len(jieba.dt.FREQ)):
                _copy_dictionary()
    return _compiled


def _is_word(token: str) -> bool:
    # A token counts when it has a letter or a digit (Unicode categories L* and N*, which is exactly what
    # str.isalnum accepts, checked in C): punctuation, spaces and emoji are not words.
    return token.isalnum() or any(ch.isalnum() for ch in token)


class _FoldTable(dict[int, str]):
    """str.translate table folding one character at a time, filled on first sight of each character."""

    def __init__(self) -> None:
        super().__init__()
        # OpenCC's character table (Apache-2.0, shipped in opencc-python-reimplemented); one-to-one entries only.
        lines = (resources.files("opencc") / "dictionary" / "TSCharacters.txt").read_text(encoding="utf-8")
        self.simplified: dict[str, str] = {}
        for line in lines.splitlines():
            trad, _, simp = line.partition("\t")
            first = simp.split(" ")[0]
            if len(trad) == 1 and len(first) == 1:
                self.simplified[trad] = first

    def __missing__(self, code: int) -> str:
        ch = chr(code)
        folded = unicodedata.normalize("NFKC", ch).lower()
        if len(folded) != 1:  # ﬁ → fi would shift every later offset: keep such characters as they are
            folded = ch.lower() if len(ch.lower()) == 1 else ch
        folded = self.simplified.get(folded, folded)
        self[code] = folded
        return folded


@functools.cache
def _fold_table() -> _FoldTable:
    return _FoldTable()


def normalise(text: str) -> str:
    """What matching and indexing compare: full-width to half-width (NFKC), lower case, traditional to simplified
    characters — ＡＢＣ１２３ matches abc123 and 學校 matches 学校. Folded one character at a time, so the result
    has the same length as `text` and an offset found in it is the offset in the original (for highlighting)."""
    folder = _folder()
    return folder.fold(text) if folder is not None else text.translate(_fold_table())


@functools.cache
def _folder() -> _Folder | None:
    # The same table, each character's folding cached in C (str.translate asks the table for every character).
    if _segmenter_class() is None:
        return None
    from store._jiebac import Folder

    return Folder(_fold_table())


def tokenize(text: str) -> list[str]:
    """Search-mode tokens: 城关县教育局 gives 城关, 教育, 教育局, 城关县教育局 (when a known word), …"""
    _ensure_ready()
    cutter = _cutter()
    if cutter is not None:
        return cutter.cut(normalise(text), True)
    return [t for t in (tok.strip() for tok in jieba.cut_for_search(normalise(text))) if t and _is_word(t)]


def search_tokens(words: list[str]) -> list[str]:
    """`tokenize` from words `segment` already cut: jieba's search mode is accurate mode plus the dictionary's
    2- and 3-character words inside longer ones, so one jieba pass serves both (analysis needs both)."""
    _ensure_ready()
    cutter = _cutter()
    if cutter is not None:
        return cutter.expand(words)
    freq = jieba.dt.FREQ
    out: list[str] = []
    for word in words:
        if len(word) > 2:
            out.extend(g for g in (word[i : i + 2] for i in range(len(word) - 1)) if freq.get(g))
        if len(word) > 3:
            out.extend(g for g in (word[i : i + 3] for i in range(len(word) - 2)) if freq.get(g))
        out.append(word)
    return [t for t in out if _is_word(t)]


def words_from_tokens(tokens: list[str]) -> list[str] | None:
    """The accurate-mode words (`segment`) of a text from its search-mode tokens (`tokenize`, what the mention
    store indexed at ingest), without running jieba again; None when the tokens cannot have come from this
    dictionary (a word added since: segment the text instead).

    Search mode emits, for each accurate word in order, the dictionary's 2- and then 3-character words inside
    it and then the word itself. Read from the end, the last token is a word and the tokens just before it are
    exactly its inside words, computed again here: one reading, checked as it goes."""
    _ensure_ready()
    freq = jieba.dt.FREQ
    cutter = _cutter()
    words: list[str] = []
    end = len(tokens)
    while end:
        word = tokens[end - 1]
        if len(word) <= 2:
            inside = []
        elif cutter is not None:
            inside = cutter.expand((word,))[:-1]  # a token holds a letter or digit: the word itself comes last
        else:
            inside = _inside(word, freq)
        start = end - 1 - len(inside)
        if start < 0 or (inside and tokens[start : end - 1] != inside):
            return None
        words.append(word)
        end = start
    words.reverse()
    return words


def _inside(word: str, freq: dict[str, int]) -> list[str]:
    # What search_tokens (and jieba's cut_for_search) emits before `word`, as tokenize keeps it.
    if len(word) <= 2:
        return []
    out = [g for g in (word[i : i + 2] for i in range(len(word) - 1)) if freq.get(g)]
    if len(word) > 3:
        out.extend(g for g in (word[i : i + 3] for i in range(len(word) - 2)) if freq.get(g))
    return [t for t in out if _is_word(t)]


def jieba_cut(text: str, *, search: bool = False, hmm: bool = True) -> list[str]:
    """jieba.lcut(text, HMM=hmm) (search: jieba.lcut_for_search) exactly, every token it gives (nothing folded or
    dropped), on the same dictionary, cut by the compiled port when it is built: for code that needs jieba's raw
    output."""
    _ensure_ready()
    cutter = _cutter()
    if cutter is not None:
        return cutter.cut(text, search, False, hmm)
    return jieba.lcut_for_search(text, HMM=hmm) if search else jieba.lcut(text, HMM=hmm)


def segment(text: str) -> list[str]:
    """Accurate-mode words, no overlaps: what sentiment should count (search mode would count 欺凌 inside
    防欺凌宣传 twice)."""
    _ensure_ready()
    cutter = _cutter()
    if cutter is not None:
        return cutter.cut(normalise(text))
    return [t for t in (tok.strip() for tok in jieba.lcut(normalise(text))) if t and _is_word(t)]


@functools.cache
def domain_words() -> frozenset[str]:
    """Official titles, bodies and complaint terms shipped with Yuqing (store/data/domain_words.txt)."""
    text = (resources.files("store") / "data" / "domain_words.txt").read_text(encoding="utf-8")
    return frozenset(w for w in (line.split("#")[0].strip() for line in text.splitlines()) if w)


def config_words(config: Config) -> set[str]:
    """The user dictionary a configuration implies: unit names, aliases and topic words, every scheme word and
    query term, and the shipped domain terms. Crawlers (indexing) and analysis load the same one, so a search
    for 城关第一中学 finds the posts analysis attributed to it."""
    words = set(domain_words())
    for unit in config.units:
        words.update(unit.names, unit.keywords)
    if config.territory is not None:
        words.update(config.territory.own_names, config.territory.above)
    for scheme in config.schemes:
        words.update(*(scheme.region, scheme.subject, scheme.event, scheme.exclude))
        if scheme.query:
            words.update(t.text for t in textquery.terms(textquery.parse(scheme.query)) if not t.phrase)
    return words


def add_words(words: Iterable[str]) -> None:
    """Keep these (unit names, scheme words) whole. Idempotent; safe from several threads. Before the first
    tokenisation the words are only noted, and added when jieba loads."""
    with _lock:
        if not _ready:
            _pending.update(words)
            return
        _add_now(words)


def _add_now(words: Iterable[str]) -> None:
    # Under _lock, with jieba initialised.
    global _copied_from
    if _compiled is not None and _copied_from != (jieba.dt, jieba.dt.total, len(jieba.dt.FREQ)):
        _copy_dictionary()  # out of step already: copy first, then add to both
    for word in words:
        word = normalise(word).strip()
        if word:
            freq = max(jieba.suggest_freq(word, False), 10_000)
            jieba.add_word(word, freq=freq)
            if _compiled is not None:
                _compiled.add_word(word, freq, jieba.dt.total)
                _copied_from = (jieba.dt, jieba.dt.total, len(jieba.dt.FREQ))
