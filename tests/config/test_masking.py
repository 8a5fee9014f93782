"""Secrets from ${NAME} in the configuration are written back as ${NAME} wherever text is logged."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest

from config import load_config
from config.masking import SecretMask, mask_logs

REPO = Path(__file__).resolve().parents[2]
MASK = SecretMask({"API_KEY": "k3y/with+odd=chars", "TOKEN": "tok_1234567890", "PIN": "123"})


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("GET http://x.cn/api?key=k3y/with+odd=chars&p=1", "GET http://x.cn/api?key=${API_KEY}&p=1"),
        ("http://x.cn/api?key=k3y%2Fwith%2Bodd%3Dchars", "http://x.cn/api?key=${API_KEY}"),  # percent-encoded
        ("http://x.cn/api?key=k3y%2Fwith%2Bodd%3Dchars".lower(), "http://x.cn/api?key=k3y%2fwith%2bodd%3dchars"),
        ("token tok_1234567890 twice tok_1234567890", "token ${TOKEN} twice ${TOKEN}"),
        ("page 123 of 1234", "page 123 of 1234"),  # too short to mask without garbling text
        ("nothing secret here", "nothing secret here"),
    ],
)
def test_secret_mask(text: str, masked: str) -> None:
    assert MASK(text) == masked


def test_log_records_are_masked_with_their_arguments_and_tracebacks(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("test.masking")
    handler = caplog.handler
    mask_logs(MASK, logging.getLogger())
    try:
        logger.warning("request failed: %s", "http://x.cn/?key=k3y/with+odd=chars")
        try:
            raise ValueError("bad answer from http://x.cn/?t=tok_1234567890")
        except ValueError:
            logger.exception("crawl of %s", "src")
        written = "\n".join(handler.format(r) for r in caplog.records)
    finally:
        mask_logs(SecretMask({}), logging.getLogger())
    assert "k3y/with+odd=chars" not in written and "tok_1234567890" not in written
    assert "key=${API_KEY}" in written and "t=${TOKEN}" in written


def test_the_loaded_configuration_knows_which_secrets_it_used(tmp_path: Path) -> None:
    config_dir = tmp_path / "config"
    shutil.copytree(REPO / "config" / "example", config_dir)
    sources = config_dir / "sources.yaml"
    text = sources.read_text(encoding="utf-8")
    first_url = text.split("start_urls:")[1].split('"')[1]
    sources.write_text(text.replace(first_url, first_url + "?key=${BOARD_KEY}", 1), encoding="utf-8")
    (config_dir / "secrets.env").write_text("BOARD_KEY=abcd-1234-efgh\nUNUSED=zzzz-9999\n", encoding="utf-8")
    config = load_config(config_dir)
    assert any(u.endswith("?key=abcd-1234-efgh") for s in config.sources for u in s.start_urls)
    assert config.mask(f"{first_url}?key=abcd-1234-efgh zzzz-9999") == f"{first_url}?key=${{BOARD_KEY}} zzzz-9999"
    assert config.model_copy().mask("abcd-1234-efgh") == "${BOARD_KEY}"  # edited schemes keep it
