"""Why an optional compiled module (store/_jiebac.c, store/_judgec.c) did not load, said in Chinese for the
operator's log: Python's own import error is English and names internals, so it goes to the debug log only."""

from __future__ import annotations

import importlib
import logging
from types import ModuleType

log = logging.getLogger(__name__)

BUILD = "在代码目录运行 pip install -e . 或 python setup.py build_ext --inplace 重新编译即可"


def compiled_hint(exc: ImportError) -> str:
    """The likely cause and the fix: not built at all, or built from an older copy of the C source."""
    if isinstance(exc, ModuleNotFoundError):
        return f"原因：尚未编译（例如没有 C 编译器，或安装后未编译）；{BUILD}。"
    return f"原因：已编译的文件与当前代码版本不符；{BUILD}。"


def optional_module(name: str, names: tuple[str, ...], warning: str) -> ModuleType | None:
    """store.`name` with the attributes `names`, or None after logging `warning` (Chinese, the fallback said) with
    the cause and the fix; callers cache the answer so it is said once."""
    try:
        module = importlib.import_module(f"store.{name}")
        missing = [attribute for attribute in names if not hasattr(module, attribute)]
        if missing:  # what `from store.x import y` says of a build older than the source
            raise ImportError(f"cannot import name {missing[0]!r} from 'store.{name}'")
    except ImportError as exc:
        log.warning("%s%s", warning, compiled_hint(exc))
        log.debug("store.%s import failed", name, exc_info=exc)
        return None
    return module
