"""Secrets from `${NAME}` in the configuration (an API key in a source's URL, a token in a channel URL) never
reach a log, an error or a report in clear: wherever such text is written, their values read `${NAME}` again."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from urllib.parse import quote, quote_plus

# Shorter values would garble ordinary text; a secret that short protects nothing anyway.
MIN_LENGTH = 4


class SecretMask:
    def __init__(self, secrets: Mapping[str, str]) -> None:
        forms: dict[str, str] = {}
        for name, value in secrets.items():
            if len(value) < MIN_LENGTH:
                continue
            for form in (value, quote(value, safe=""), quote_plus(value), quote(value)):
                forms.setdefault(form, f"${{{name}}}")
        # Longest first, so a secret that contains another is replaced whole.
        self._forms = sorted(forms.items(), key=lambda item: -len(item[0]))

    def __bool__(self) -> bool:
        return bool(self._forms)

    def __call__(self, text: str) -> str:
        for form, name in self._forms:
            if form in text:
                text = text.replace(form, name)
        return text


class MaskSecrets(logging.Filter):
    """On a handler: every record it writes — message, arguments and traceback — is masked."""

    def __init__(self, mask: SecretMask) -> None:
        super().__init__()
        self.mask = mask

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = self.mask(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.mask(record.exc_text)
        return True


def mask_logs(mask: SecretMask, logger: logging.Logger | None = None) -> None:
    """Mask everything the (root) logger's handlers write; call again after a reload (the old filter goes)."""
    for handler in (logger or logging.getLogger()).handlers:
        for old in [f for f in handler.filters if isinstance(f, MaskSecrets)]:
            handler.removeFilter(old)
        if mask:
            handler.addFilter(MaskSecrets(mask))
