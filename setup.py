"""The compiled tokeniser (store/_jiebac.c, jieba's algorithm in C). Optional: when no C compiler is at hand the
install still succeeds and store.tokens falls back to jieba itself (and says so once)."""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "store._jiebac",
            ["store/_jiebac.c"],
            # No fused multiply-add: every sum rounded as Python rounds it, so the route is jieba's own.
            extra_compile_args=["-O2", "-ffp-contract=off", "-fno-fast-math"],
            optional=True,
        )
    ]
)
