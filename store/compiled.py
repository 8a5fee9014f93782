"""Why an optional compiled module (store/_jiebac.c, store/_judgec.c) did not load, said in Chinese for the
operator's log: Python's own import error is English and names internals, so it goes to the debug log only."""

from __future__ import annotations

BUILD = "在代码目录运行 pip install -e . 或 python setup.py build_ext --inplace 重新编译即可"


def compiled_hint(exc: ImportError) -> str:
    """The likely cause and the fix: not built at all, or built from an older copy of the C source."""
    if isinstance(exc, ModuleNotFoundError):
        return f"原因：尚未编译（例如没有 C 编译器，或安装后未编译）；{BUILD}。"
    return f"原因：已编译的文件与当前代码版本不符；{BUILD}。"
