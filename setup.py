"""The compiled extensions, both optional: when no C compiler is at hand the install still succeeds and the Python
paths take over with the same results (and say so once). store/_jiebac.c: the tokeniser (jieba's algorithm in C),
else store.tokens falls back to jieba itself; store/_judgec.c: the grader's and the post type's per-word loops, else
analysis/judgec.py leaves them to Python."""

from setuptools import Extension, setup

# No fused multiply-add: every sum rounded as Python (and numpy) rounds it, so the results are the same bits.
FLAGS = ["-O2", "-ffp-contract=off", "-fno-fast-math"]

setup(
    ext_modules=[
        Extension("store._jiebac", ["store/_jiebac.c"], extra_compile_args=FLAGS, optional=True),
        Extension("store._judgec", ["store/_judgec.c"], extra_compile_args=FLAGS, optional=True),
    ]
)
