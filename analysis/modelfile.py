"""The shipped models' file form, one place for all three (sentiment, grader, post type): gzip'd JSON with a
`format` tag, written so that the same model gives the same bytes (no file name or time in the gzip header)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any


def read_model(path: Path, fmt: str, *older: str) -> dict[str, Any]:
    """The model's JSON, of format `fmt` or one of the `older` formats still read (the caller tells them apart
    by `format`); ValueError when the file is another kind of model."""
    with gzip.open(path, "rt", encoding="utf-8") as f:
        data = json.load(f)
    if not isinstance(data, dict) or data.get("format") not in (fmt, *older):
        also = "".join(f" (or {o})" for o in older)
        raise ValueError(f"{path}: not a {fmt}{also} model")
    return data


def write_model(data: dict[str, object], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    with path.open("wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as f:
        f.write(text.encode("utf-8"))
