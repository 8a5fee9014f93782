"""What every backend and the crawler derive alike from a post's text, in one neutral place (neither backend's
module): the content hash that says "same text" (an edit, or the same post under another URL)."""

from __future__ import annotations

import hashlib

from store.nfkc import nfkc


def content_hash(title: str, content: str) -> str:
    """sha256 of the normalised text: width variants and re-wrapped whitespace are not an edit."""
    # nfkc is unicodedata's NFKC (faster); split/join is re.sub(r"\s+", " ", text).strip() (both Py_UNICODE_ISSPACE)
    text = " ".join(nfkc(f"{title}\n{content}").split())
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
