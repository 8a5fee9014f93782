"""The compiled port's dictionary cache (store/tokens.py): built from jieba's own at first use, read back by later
processes without loading jieba, giving the same tokens; words added before jieba loads reach jieba, in order, when
it does; a damaged or unwritable cache costs only time."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jieba
import pytest
from jieba import finalseg

from store import tokens
from tests.store.test_tokens_compiled import TRICKY, dev_texts

pytest.importorskip("store._jiebac", reason="the C extension was not built (no compiler at install)")
from store._jiebac import Segmenter

REPO = Path(tokens.__file__).parents[1]

# A fresh process: the configuration's words, then tokens of the tricky strings, and what it knows of itself.
_PROCESS = """
import json, sys
from pathlib import Path
from config import load_config
from store import tokens
tokens.add_words(tokens.config_words(load_config(Path("config/example"))))
texts = json.loads(sys.argv[1])
cut = [tokens.tokenize(t) for t in texts] + [tokens.segment(t) for t in texts]
loaded_for_cut = "jieba" in sys.modules
seg = tokens._cutter()
out = {"cut": cut, "jieba_loaded": loaded_for_cut, "size": seg.size, "total": seg.total,
       "cache": [p.name for p in tokens.dictionary_cache_dir().glob("jieba-dictionary-*.bin")]}
if "--with-jieba" in sys.argv:
    jieba = tokens._jieba_in_step()  # jieba loads now: it must get the words added before, in the same order
    seg = tokens._cutter()
    out["jieba"] = {"size": len(jieba.dt.FREQ), "total": jieba.dt.total, "copy_size": seg.size,
                    "copy_total": seg.total,
                    "same": all(seg.cut(t, s, False) == (jieba.lcut_for_search(t) if s else jieba.lcut(t))
                                for t in texts for s in (False, True))}
print(json.dumps(out, ensure_ascii=False))
"""


def _run(cache: Path, *extra: str, tmp: Path | None = None) -> tuple[dict[str, object], str]:
    env = {**os.environ, "XDG_CACHE_HOME": str(cache)}
    if tmp is not None:
        env["TMPDIR"] = str(tmp)
    texts = [*TRICKY, "城关第一中学的班主任要求交补课费"]
    done = subprocess.run(
        [sys.executable, "-c", _PROCESS, json.dumps(texts), *extra],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO,
        env=env,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result, done.stderr


def test_built_once_then_read_without_loading_jieba_with_the_same_tokens(tmp_path: Path) -> None:
    first, _ = _run(tmp_path)
    assert first["jieba_loaded"] is True  # the first process copies jieba's dictionary, and writes it down
    assert len(first["cache"]) == 1  # type: ignore[arg-type]
    second, _ = _run(tmp_path)
    assert second["jieba_loaded"] is False  # read back: jieba never loaded
    assert second["cut"] == first["cut"]
    assert (second["size"], second["total"]) == (first["size"], first["total"])


def test_jieba_loaded_later_gets_the_added_words_and_cuts_alike(tmp_path: Path) -> None:
    _run(tmp_path)  # the cache is there
    got, _ = _run(tmp_path, "--with-jieba")
    assert got["jieba_loaded"] is False
    after = got["jieba"]
    assert isinstance(after, dict)
    # The words added to the copy alone, given to jieba when it loaded, give the same dictionary and total...
    assert (after["size"], after["total"]) == (got["size"], got["total"])
    assert (after["copy_size"], after["copy_total"]) == (got["size"], got["total"])  # ...so nothing was copied again
    assert after["same"] is True


def test_a_damaged_cache_file_is_replaced(tmp_path: Path) -> None:
    first, _ = _run(tmp_path)
    names = first["cache"]
    assert isinstance(names, list) and len(names) == 1
    name: str = names[0]
    path = tmp_path / "yuqing" / name
    whole = path.read_bytes()
    path.write_bytes(whole[: len(whole) // 2])  # a disk that filled up, a copy cut short
    second, log = _run(tmp_path)
    assert "分词词典缓存" in log and "重新生成" in log
    assert second["cut"] == first["cut"]
    assert path.read_bytes() == whole


def test_an_unwritable_cache_directory_falls_back_to_the_users_own_temporary_one(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("x")  # $XDG_CACHE_HOME/yuqing cannot be made under a file (a service user without a home)
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    first, log = _run(blocker, tmp=tmp)
    assert "无法写入" in log and "改存于" in log
    assert first["jieba_loaded"] is True
    fallback = tmp / f"yuqing-cache-{os.getuid()}"
    assert len(list(fallback.glob("jieba-dictionary-*.bin"))) == 1
    assert fallback.stat().st_mode & 0o777 == 0o700
    second, log = _run(blocker, tmp=tmp)  # the next process reads it there: jieba never loads
    assert second["jieba_loaded"] is False and "无法写入" not in log
    assert second["cut"] == first["cut"]


def test_a_fallback_directory_others_can_write_is_not_trusted(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("x")
    tmp = tmp_path / "tmp"
    fallback = tmp / f"yuqing-cache-{os.getuid()}"
    fallback.mkdir(parents=True)
    fallback.chmod(0o777)  # made by someone else, or opened up: a dictionary planted there must not be read
    first, log = _run(blocker, tmp=tmp)
    assert "均无法写入" not in log and "每个进程将各自加载" in log
    assert not list(fallback.glob("jieba-dictionary-*.bin"))
    reference, _ = _run(tmp_path / "cache")
    assert first["cut"] == reference["cut"]


def test_dump_and_load_give_the_same_segmenter() -> None:
    tk = jieba.Tokenizer()
    tk.initialize()
    seg = Segmenter(tk.FREQ, tk.total, finalseg.start_P, finalseg.trans_P, finalseg.emit_P)
    data = seg.dump()
    back = Segmenter.load(data)
    assert (back.size, back.total) == (seg.size, seg.total)
    assert back.dump() == data
    for text in TRICKY:
        for search in (False, True):
            assert back.cut(text, search, False) == (tk.lcut_for_search(text) if search else tk.lcut(text))
    back.add_word("岳麓区桐梓坡", 20_000, tk.total + 20_000)  # its own memory: adding grows it as any other
    tk.add_word("岳麓区桐梓坡", freq=20_000)
    assert back.cut("张三在岳麓区桐梓坡路被打", False, False) == tk.lcut("张三在岳麓区桐梓坡路被打")
    assert seg.get("岳麓区桐梓坡") is None


@pytest.mark.parametrize(
    "damage",
    [
        lambda b: b"",
        lambda b: b[:40],
        lambda b: b[:-4],
        lambda b: b + b"\0",
        lambda b: b[:4] + b"\x09" + b[5:],  # another format
        lambda b: b[:8] + b"\x10" + b[9:],  # another entry size
    ],
)
def test_load_refuses_what_dump_did_not_write(damage: object) -> None:
    tk = jieba.Tokenizer()
    tk.initialize()
    data = Segmenter(tk.FREQ, tk.total, finalseg.start_P, finalseg.trans_P, finalseg.emit_P).dump()
    with pytest.raises(ValueError):
        Segmenter.load(damage(data))  # type: ignore[operator]


def test_an_entry_pointing_outside_the_pool_is_refused() -> None:
    seg = Segmenter({"中": 5, "中国": 10}, 15, finalseg.start_P, finalseg.trans_P, finalseg.emit_P)
    data = bytearray(seg.dump())
    header = 4 * 4 + 3 * 8 + 8
    hmm = 4 * 8 + 16 * 8 + (0x9FD5 - 0x4E00 + 1) * 4 * 8
    table = header + hmm
    cap = int.from_bytes(data[16:24], sys.byteorder)
    for i in range(cap):
        entry = table + i * 24
        if int.from_bytes(data[entry + 12 : entry + 16], sys.byteorder):  # a used slot: point it far away
            data[entry + 8 : entry + 12] = (10**6).to_bytes(4, sys.byteorder)
            break
    with pytest.raises(ValueError):
        Segmenter.load(bytes(data))


def test_suggest_freq_is_jiebas() -> None:
    tk = jieba.Tokenizer()
    tk.initialize()
    seg = Segmenter(tk.FREQ, tk.total, finalseg.start_P, finalseg.trans_P, finalseg.emit_P)
    words = [
        "城关第一中学",
        "随时可能倒塌",
        "岳麓区桐梓坡",
        "补课费",
        "中华人民共和国",
        "的",
        "abc",
        "C++",
        "ＡＢＣ",
        "啊啊啊",
    ]
    for texts in dev_texts(60).values():
        for text in texts:
            words += [text[i : i + n] for i in range(0, min(len(text), 60), 5) for n in (2, 4, 7)]
    for word in words:
        if word.strip():
            assert tokens.suggest_freq(seg, word) == tk.suggest_freq(word, False), word
