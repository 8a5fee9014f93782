"""HTML to PDF with WeasyPrint (PyPI; it draws with Pango from the system). Nothing is fetched: the HTML is
self-contained and every URL the renderer would load is refused. Chinese needs a CJK font installed
(fonts-wqy-zenhei or fonts-noto-cjk on Debian); without one the PDF would show empty boxes, so it is refused."""

from __future__ import annotations

import functools
import shutil
import subprocess
from typing import Any, NoReturn


class PdfUnavailable(RuntimeError):
    """PDF output cannot be produced on this machine; the message says what to install."""


@functools.cache
def cjk_font_available() -> bool:
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return False
    found = subprocess.run([fc_list, ":lang=zh", "family"], capture_output=True, text=True, timeout=30, check=False)
    return bool(found.stdout.strip())


def _no_fetch(url: str, *args: Any, **kwargs: Any) -> NoReturn:
    raise ValueError(f"briefings load nothing from outside the document: {url[:80]}")


def html_to_pdf(html: str) -> bytes:
    if not cjk_font_available():
        raise PdfUnavailable("没有可用的中文字体，无法生成 PDF：请安装 fonts-wqy-zenhei 或 fonts-noto-cjk")
    try:
        from weasyprint import HTML
    except OSError as exc:  # Pango missing: WeasyPrint cannot load its libraries
        raise PdfUnavailable(f"WeasyPrint 无法加载系统库（需要 Pango）：{exc}") from None
    pdf: bytes = HTML(string=html, url_fetcher=_no_fetch).write_pdf()
    return pdf
