"""Chinese tokenisation for indexing and querying: jieba's dictionary, loaded once per process on first use.

The cutting itself runs in store/_jiebac.c, an exact port of jieba's algorithm (same dictionary, copied from jieba's
own, same HMM tables, same tie-breaking) about 14× faster; the tokens are jieba's, token for token
(tests/store/test_tokens_compiled.py, bench/tokeniser_agreement.py). When the extension was not built (no C
compiler at install) jieba itself cuts, with the same result, and the log says so once.

With the extension, jieba itself is not even loaded: its dictionary (about a second of CPU a process, which every
crawl process paid) is read, as the compiled port holds it, from a cache file built at first use from jieba's own
(`dictionary_cache_dir()`, keyed by the hash of jieba's dictionary and HMM files and the file format; nothing
downloaded), in a few milliseconds. jieba loads only when something asks for it (a fallback path, or code that
calls jieba directly): it is then given the words added here, in the same order, so both cut alike; and words added
to jieba behind store.tokens' back are copied before the next cut, as before."""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import logging
import mmap
import os
import stat
import sys
import tempfile
import threading
import unicodedata
from collections.abc import Callable, Iterable
from importlib import resources
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import textquery
from config import Config
from store.compiled import optional_module

if TYPE_CHECKING:
    from store._jiebac import Folder as _Folder
    from store._jiebac import Segmenter as _Segmenter

log = logging.getLogger(__name__)

_lock = threading.RLock()
_ready = False
_compiled: _Segmenter | None = None
# Every word added here with the frequency it was given, in order: what jieba is given when it loads later.
_added: list[tuple[str, int]] = []
_added_words: set[str] = set()
# jieba's state (its tokenizer, total and dictionary size) when it was last in step with the compiled copy; None
# while jieba has not been brought in step. Anything that changes jieba's dictionary behind store.tokens' back
# (jieba.add_word in a test) changes it, and the copy is made again from jieba's.
_in_step_with: tuple[object, int, int] | None = None
# Words given before the dictionary is loaded wait here: a crawl that finds nothing new (most re-crawls) never
# needs it.
_pending: dict[str, None] = {}  # in the order given, each once


def _ensure_ready() -> None:
    global _ready, _compiled
    if _ready:
        return
    with _lock:
        if not _ready:
            if _segmenter_class() is not None:
                _compiled = _cached_segmenter()
            else:
                _jieba_in_step()
            _add_now(_pending)
            _pending.clear()
            _ready = True


def _jieba_module() -> ModuleType:
    import jieba

    jieba.setLogLevel(logging.WARNING)
    return jieba


def _jieba_in_step() -> Any:
    """jieba itself, loaded, holding the words added here (and the compiled copy in step with it): for the
    fallback paths and code that reads jieba's dictionary."""
    jieba = _jieba_module()
    with _lock:
        jieba.initialize()
        _follow_jieba()
    return jieba


def _follow_jieba() -> None:
    # Under _lock, with jieba loaded: bring jieba and the compiled copy in step.
    global _compiled, _in_step_with
    import jieba
    from jieba import finalseg

    dt = jieba.dt
    state = (dt, dt.total, len(dt.FREQ))
    if _in_step_with == state:
        return
    if _in_step_with is None or _in_step_with[0] is not state[0]:
        for word, freq in _added:  # jieba loaded after words were added here: give them to it, in order
            dt.add_word(word, freq=freq)
    cls = _segmenter_class()
    state = (dt, dt.total, len(dt.FREQ))
    if cls is not None and (_compiled is None or (_compiled.total, _compiled.size) != state[1:]):
        _compiled = cls(dt.FREQ, dt.total, finalseg.start_P, finalseg.trans_P, finalseg.emit_P)
    _in_step_with = state


def dictionary_cache_dir() -> Path:
    """Where the compiled dictionary is cached: $XDG_CACHE_HOME/yuqing, else ~/.cache/yuqing."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "yuqing"


def fallback_cache_dir() -> Path:
    """Where it is cached when the home has no writable cache directory (a service user without a home, a read-only
    root): a directory of this user's own in the temporary directory."""
    return Path(tempfile.gettempdir()) / f"yuqing-cache-{os.getuid()}"


def _own_private_dir(path: Path) -> bool:
    """The fallback sits in a directory other users can write to: use it only if it is this user's and theirs alone
    (another user could otherwise plant a dictionary there)."""
    try:
        path.mkdir(mode=0o700, exist_ok=True)
        st = path.lstat()
    except OSError:
        return False
    return stat.S_ISDIR(st.st_mode) and st.st_uid == os.getuid() and not st.st_mode & 0o077


def _jieba_files() -> list[Path]:
    """jieba's dictionary and HMM tables, found without importing jieba (whose import alone loads the HMM tables)."""
    spec = importlib.util.find_spec("jieba")
    assert spec is not None and spec.submodule_search_locations
    root = Path(next(iter(spec.submodule_search_locations)))
    return [root / "dict.txt", *(root / "finalseg" / f"prob_{n}.py" for n in ("start", "trans", "emit"))]


def _cache_name() -> str:
    from store import _jiebac

    digest = hashlib.sha256(f"format {_jiebac.DUMP_FORMAT} {sys.byteorder}\n".encode())
    for path in _jieba_files():
        digest.update(path.read_bytes())
    return f"jieba-dictionary-{digest.hexdigest()[:24]}.bin"


def _read_cache(cls: type[_Segmenter], path: Path) -> _Segmenter | None:
    try:
        with path.open("rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
            return cls.load(mapped)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        log.warning("分词词典缓存 %s 无法读取，将重新生成：%s", path, exc)
        return None


def _write_cache(segmenter: _Segmenter, path: Path) -> None:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=path.parent, prefix=".jieba-", delete=False) as out:
        out.write(segmenter.dump())
    os.replace(out.name, path)  # whole or not at all: a concurrent reader never sees half a file


def _cached_segmenter() -> _Segmenter:
    """jieba's dictionary and HMM tables as the compiled port holds them: read from the cache file, or copied from
    jieba (loaded for it) and written there for the next process. Where the cache directory cannot be written, the
    user's own temporary one serves (fallback_cache_dir). A cache that cannot be read or written only costs the time;
    a damaged file is replaced."""
    cls = _segmenter_class()
    assert cls is not None
    name = _cache_name()
    path, fallback = dictionary_cache_dir() / name, fallback_cache_dir()
    found = _read_cache(cls, path)
    if found is None and fallback.is_dir() and _own_private_dir(fallback):
        found = _read_cache(cls, fallback / name)
    if found is not None:
        return found
    jieba = _jieba_module()
    from jieba import finalseg

    tokenizer = jieba.Tokenizer()  # jieba's own dictionary, untouched by whatever jieba.dt holds
    tokenizer.initialize()
    segmenter = cls(tokenizer.FREQ, tokenizer.total, finalseg.start_P, finalseg.trans_P, finalseg.emit_P)
    try:
        _write_cache(segmenter, path)
    except OSError as exc:
        if not _own_private_dir(fallback):
            log.warning("分词词典缓存 %s 无法写入（每个进程将各自加载 jieba 词典，约一秒）：%s", path, exc)
            return segmenter
        try:
            _write_cache(segmenter, fallback / name)
            log.warning("分词词典缓存 %s 无法写入（%s），改存于 %s", path, exc, fallback)
        except OSError as again:
            log.warning(
                "分词词典缓存 %s 与 %s 均无法写入（每个进程将各自加载 jieba 词典，约一秒）：%s", path, fallback, again
            )
    return segmenter


@functools.cache
def _segmenter_class() -> type[_Segmenter] | None:
    compiled = optional_module(
        "_jiebac",
        ("Segmenter",),
        "编译的分词模块（store/_jiebac.c）未能加载，改由 jieba 本身分词：结果相同，速度较慢。",
    )
    return None if compiled is None else compiled.Segmenter


def _cutter() -> _Segmenter | None:
    """The compiled copy, in step with jieba's dictionary when jieba is loaded (made again when something changed
    jieba's behind store.tokens' back); None without it (or when jieba was told to split a word apart,
    jieba.del_word, which the copy does not model)."""
    jieba = sys.modules.get("jieba")
    if jieba is None or _compiled is None:
        return _compiled
    dt = jieba.dt
    if not dt.initialized:
        return _compiled
    if _in_step_with != (dt, dt.total, len(dt.FREQ)):
        with _lock:
            _follow_jieba()
    finalseg = sys.modules.get("jieba.finalseg")
    if finalseg is not None and finalseg.Force_Split_Words:
        return None
    return _compiled


def word_frequency(word: str) -> int:
    """jieba's dictionary frequency of `word` (0 for a prefix of a word or an unknown word): jieba.dt.FREQ.get,
    from the compiled copy when there is one."""
    _ensure_ready()
    cutter = _cutter()
    if cutter is not None:
        return cutter.get(word) or 0
    return int(_jieba_in_step().dt.FREQ.get(word, 0))


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
    global _last_folded
    held = _last_folded
    if held[0] is text:  # the same text again (the sentiment and the post type each fold the post)
        return held[1]
    folder = _folder()
    folded = folder.fold(text) if folder is not None else text.translate(_fold_table())
    _last_folded = (text, folded)
    return folded


# The last text folded and its folding: one tuple, replaced whole (a thread reads a consistent pair).
_last_folded: tuple[str, str] = ("", "")


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
    jieba = _jieba_in_step()
    return [t for t in (tok.strip() for tok in jieba.cut_for_search(normalise(text))) if t and _is_word(t)]


def search_tokens(words: list[str]) -> list[str]:
    """`tokenize` from words `segment` already cut: jieba's search mode is accurate mode plus the dictionary's
    2- and 3-character words inside longer ones, so one jieba pass serves both (analysis needs both)."""
    _ensure_ready()
    cutter = _cutter()
    if cutter is not None:
        return cutter.expand(words)
    freq = _jieba_in_step().dt.FREQ
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
    cutter = _cutter()
    if cutter is not None:  # the same reading in C: the loop below was ~15 µs a mention of the analysis job
        return cutter.words_from_tokens(tokens if isinstance(tokens, list) else list(tokens))
    freq = _jieba_in_step().dt.FREQ
    return read_words(tokens, lambda word: _inside(word, freq))


def read_words(tokens: list[str], inside: Callable[[str], list[str]]) -> list[str] | None:
    """words_from_tokens' reading with `inside(word)` giving the tokens search mode emits before `word`."""
    words: list[str] = []
    end = len(tokens)
    while end:
        word = tokens[end - 1]
        before = inside(word)
        start = end - 1 - len(before)
        if start < 0 or (before and tokens[start : end - 1] != before):
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
    jieba = _jieba_in_step()
    return jieba.lcut_for_search(text, HMM=hmm) if search else jieba.lcut(text, HMM=hmm)


def dictionary_version() -> object:
    """A value that changes whenever the dictionary the cuts use changes (a word added here, or to jieba behind
    store.tokens' back): what a cache of cuts is keyed by. Equal values: the same cuts."""
    _ensure_ready()
    cutter = _cutter()
    if cutter is not None:
        return (cutter, cutter.total, cutter.size)
    dt = _jieba_in_step().dt
    finalseg = sys.modules.get("jieba.finalseg")
    split = frozenset(finalseg.Force_Split_Words) if finalseg is not None else frozenset()
    return (dt, dt.total, len(dt.FREQ), split)


def segment(text: str) -> list[str]:
    """Accurate-mode words, no overlaps: what sentiment should count (search mode would count 欺凌 inside
    防欺凌宣传 twice)."""
    _ensure_ready()
    cutter = _cutter()
    if cutter is not None:
        return cutter.cut(normalise(text))
    jieba = _jieba_in_step()
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
    """Keep these (unit names, scheme words) whole. Idempotent, in sorted order; safe from several threads. Before
    the first tokenisation the words are only noted, and added when the dictionary loads."""
    with _lock:
        if not _ready:
            _pending.update(dict.fromkeys(words))
            return
        _add_now(words)


def _add_now(words: Iterable[str]) -> None:
    """Each word with jieba's own rule (its frequency: jieba.suggest_freq, at least 10,000; the total grows by it,
    as jieba.add_word does), to the compiled copy and, when it is loaded, to jieba."""
    global _in_step_with
    with _lock:
        cutter = _cutter()  # in step with jieba first, when jieba is loaded
        loaded = sys.modules.get("jieba")
        jieba = _jieba_in_step() if cutter is None or (loaded is not None and loaded.dt.initialized) else None
        # In one order whatever the caller's: each word's frequency depends on the total the words before it left,
        # and config_words is a set, whose order changes with the process's hash seed: a crawl process and the
        # analysis could cut a rare text differently (the dictionary's total differed by 1 between two processes).
        for word in sorted({normalise(w).strip() for w in words}):
            if not word or word in _added_words:
                # Once: jieba.add_word adds a word's frequency to the total again each time, and every Analyser,
                # crawl context and scheme matcher gives its words, so a second one moved the cuts of rare texts
                # (掏心/掏肺/地 became 掏/心掏/肺地).
                continue
            if jieba is not None:
                freq = max(jieba.suggest_freq(word, False), 10_000)
                jieba.add_word(word, freq=freq)
                dt = jieba.dt
                if _compiled is not None:
                    _compiled.add_word(word, freq, dt.total)
                _in_step_with = (dt, dt.total, len(dt.FREQ))
            else:
                assert _compiled is not None
                freq = max(suggest_freq(_compiled, word), 10_000)
                _compiled.add_word(word, freq, _compiled.total + freq)
            _added.append((word, freq))
            _added_words.add(word)


def suggest_freq(segmenter: _Segmenter, word: str) -> int:
    """jieba.suggest_freq(word, False) on the compiled copy's dictionary, step for step: the product of the word's
    pieces' probabilities (cut without the HMM), as a frequency, at least the word's own."""
    total = segmenter.total
    ftotal = float(total)
    freq: float = 1
    for piece in segmenter.cut(word, False, False, False):
        got = segmenter.get(piece)
        freq *= (1 if got is None else got) / ftotal
    own = segmenter.get(word)
    return max(int(freq * total) + 1, 1 if own is None else own)
