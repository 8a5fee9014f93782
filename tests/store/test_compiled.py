"""The operator's reason when a compiled module did not load: Chinese, with the fix, never Python's English."""

from __future__ import annotations

import re

import pytest

from store.compiled import compiled_hint, optional_module


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


def test_optional_module_says_a_stale_build_once_in_chinese(caplog: pytest.LogCaptureFixture) -> None:
    # store.display stands in for a built module: present, but without the name a newer source would add.
    with caplog.at_level("WARNING", logger="store.compiled"):
        assert optional_module("display", ("no_such_type",), "编译的模块未能加载：") is None
    (record,) = caplog.records
    assert record.getMessage().startswith("编译的模块未能加载：原因：已编译的文件与当前代码版本不符")
    assert optional_module("display", (), "不应出现") is not None


def test_optional_module_says_a_missing_build_in_chinese(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("WARNING", logger="store.compiled"):
        assert optional_module("_never_built", (), "编译的模块未能加载：") is None
    assert "尚未编译" in caplog.records[0].getMessage()
