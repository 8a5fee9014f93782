"""The operator's reason when a compiled module did not load: Chinese, with the fix, never Python's English."""

from __future__ import annotations

import re

import pytest

from store.compiled import compiled_hint


@pytest.mark.parametrize(
    ("error", "cause"),
    [
        (ModuleNotFoundError("No module named 'store._judgec'"), "尚未编译"),
        (ImportError("cannot import name 'Pools' from 'store._judgec'"), "版本不符"),
    ],
)
def test_reason_is_chinese_with_the_fix(error: ImportError, cause: str) -> None:
    hint = compiled_hint(error)
    assert cause in hint and "重新编译" in hint
    # Only the commands to type are in Latin letters; nothing of the exception's own text.
    words = set(re.findall(r"[A-Za-z_]+", hint))
    assert words <= {"C", "pip", "install", "e", "python", "setup", "py", "build_ext", "inplace"}, words
