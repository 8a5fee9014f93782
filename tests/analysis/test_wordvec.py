"""The shipped word vectors: the table loads with its dimensions, related words are closer than unrelated ones,
unknown words are skipped (zeros when none is known), and the file form reads back what was written."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from analysis import wordvec
from analysis.wordvec import WordVectors, decode, encode, read, write


def test_shipped_table_loads_with_its_dimensions() -> None:
    table = wordvec.shipped()
    assert table.dim == 100
    assert 15_000 <= len(table.index) <= 20_000
    assert table.vectors.shape == (len(table.index), table.dim)
    assert table.vectors.dtype == np.float32
    assert wordvec.shipped() is table  # read once per process


def _cos(a: str, b: str) -> float:
    table = wordvec.shipped()
    va, vb = table.vector(a), table.vector(b)
    assert va is not None and vb is not None, (a, b)
    return float(va @ vb / (np.linalg.norm(va) * np.linalg.norm(vb)))


@pytest.mark.parametrize(
    ("word", "near", "far"),
    [
        ("噪音", "扰民", "学费"),
        ("拖欠", "农民工", "口罩"),
        ("殴打", "打人", "物业费"),
        ("污染", "排放", "招生"),
        ("感谢", "谢谢", "拆迁"),
    ],
)
def test_related_words_are_closer_than_unrelated(word: str, near: str, far: str) -> None:
    assert _cos(word, near) > _cos(word, far) + 0.2


def test_mean_skips_unknown_words_and_gives_zeros_when_none_is_known() -> None:
    table = wordvec.shipped()
    known = table.vector("噪音")
    assert known is not None
    assert np.allclose(wordvec.mean(["噪音", "不存在的词语甲乙丙"]), known)
    empty = wordvec.mean(["不存在的词语甲乙丙", "qqqxxxzzz"])
    assert empty.shape == (table.dim,) and not empty.any()
    assert not wordvec.mean([]).any()


def test_means_equal_mean_of_each_list() -> None:
    table = wordvec.shipped()
    lists = [["噪音", "扰民", "噪音"], [], ["不存在的词语甲乙丙"], ["学生", "老师"]]
    together = table.means(lists)
    assert together.shape == (4, table.dim)
    for row, words in zip(together, lists, strict=True):
        assert np.allclose(row, table.mean(words), atol=1e-6)


def test_file_form_round_trips_unit_vectors(tmp_path: Path) -> None:
    vectors = np.array([[3.0, 4.0], [0.0, -2.0], [1.0, 1.0]])
    path = tmp_path / "v.bin.gz"
    write(["甲", "乙", "丙"], vectors, path)
    table = read(path)
    assert isinstance(table, WordVectors)
    assert list(table.index) == ["甲", "乙", "丙"]
    assert np.allclose(table.vectors, vectors / np.linalg.norm(vectors, axis=1, keepdims=True), atol=0.01)
    write(["甲", "乙", "丙"], vectors, tmp_path / "again.bin.gz")
    assert path.read_bytes() == (tmp_path / "again.bin.gz").read_bytes()  # same table, same bytes


def test_bad_files_are_refused() -> None:
    with pytest.raises(ValueError, match="not a word-vector table"):
        decode(b"something else")
    data = encode(["甲"], np.array([[1.0, 0.0]]))
    with pytest.raises(ValueError, match="wrong length"):
        decode(data + b"\x00")
    with pytest.raises(ValueError, match="newline"):
        encode(["甲\n乙"], np.array([[1.0, 0.0]]))
