"""Logs are structured and never carry a secret."""

from __future__ import annotations

import json
import logging

import pytest

from bot import logs


def test_secrets_are_masked_in_json_and_console_lines(capsys: pytest.CaptureFixture[str]) -> None:
    token = "123456:AAE-fake-telegram-token"
    logs.register_secret(token)
    for fmt in ("json", "console"):
        logs.configure("INFO", fmt)
        log = logging.getLogger("newsbot.test")
        log.warning("calling https://api.telegram.org/bot%s/getMe", token, extra={"token": token})
        try:
            raise RuntimeError(f"auth failed for {token}")
        except RuntimeError:
            log.exception("request failed")
    err = capsys.readouterr().err
    assert token not in err
    assert err.count("***") >= 6
    first = json.loads(err.splitlines()[0])
    assert first["level"] == "warning" and first["logger"] == "newsbot.test"
    assert first["token"] == "***"


def test_short_values_are_not_registered() -> None:
    logs.register_secret("abc")
    assert logs.redact("abc def") == "abc def"
