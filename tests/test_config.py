"""Settings: defaults, the file, the environment, secrets, errors that say what to fix."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.config import SECRETS, ConfigError, Settings, load_settings, redact_url

ROOT = Path(__file__).resolve().parents[1]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "newsbot.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_config_is_valid_and_equals_the_defaults() -> None:
    assert load_settings(ROOT / "config" / "newsbot.toml") == Settings()


def test_every_setting_is_documented_in_the_shipped_config() -> None:
    text = (ROOT / "config" / "newsbot.toml").read_text(encoding="utf-8")
    chunks = re.split(r"^\[(\w+)\]\n", text, flags=re.M)
    sections = dict(zip(chunks[1::2], chunks[2::2], strict=True))
    for section, model in Settings.model_fields.items():
        assert section in sections, f"[{section}] is missing from config/newsbot.toml"
        for key in model.annotation.model_fields:  # type: ignore[union-attr]
            # A setting counts as documented with a comment line above it, set or commented out.
            documented = re.search(rf"^# .+\n(#.*\n)*#? ?{key} = ", sections[section], re.M)
            if (section, key) in SECRETS:  # secrets are documented by their variable's name
                documented = f"NEWSBOT_{section.upper()}__{key.upper()}" in sections[section]
            assert documented, f"[{section}] {key} is not documented in config/newsbot.toml"


def test_environment_overrides_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, "[ingest]\nmax_redirects = 3\nconcurrency = 4\n")
    monkeypatch.setenv("NEWSBOT_INGEST__MAX_REDIRECTS", "7")
    settings = load_settings(path)
    assert settings.ingest.max_redirects == 7
    assert settings.ingest.concurrency == 4


def test_wrong_value_names_file_key_and_expectation(tmp_path: Path) -> None:
    path = write(tmp_path, '[digest]\ndefault_time = "25:00"\n')
    with pytest.raises(ConfigError) as err:
        load_settings(path)
    assert str(path) in str(err.value)
    assert "[digest] default_time" in str(err.value)
    assert "HH:MM" in str(err.value)


def test_wrong_value_from_the_environment_names_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSBOT_DIGEST__DEFAULT_TIMEZONE", "Mars/Olympus")
    with pytest.raises(ConfigError, match=r"NEWSBOT_DIGEST__DEFAULT_TIMEZONE.*IANA"):
        load_settings(write(tmp_path, ""))


def test_unknown_key_and_broken_toml(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"\[ingest\] max_redirect: unknown setting"):
        load_settings(write(tmp_path, "[ingest]\nmax_redirect = 3\n"))
    with pytest.raises(ConfigError, match=r"not valid TOML.*line 2"):
        load_settings(write(tmp_path, "[ingest]\nmax_redirects = = 3\n"))


@pytest.mark.parametrize(("section", "key"), SECRETS)
def test_secrets_in_the_file_are_refused_with_the_way_to_give_them(
    tmp_path: Path, section: str, key: str
) -> None:
    path = write(tmp_path, f'[{section}]\n{key} = "s3cr3t-value"\n')
    with pytest.raises(ConfigError) as err:
        load_settings(path)
    message = str(err.value)
    assert f"NEWSBOT_{section.upper()}__{key.upper()}" in message and f"{key}_file" in message
    assert "s3cr3t-value" not in message


def test_password_in_store_url_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="NEWSBOT_STORE__URL"):
        load_settings(write(tmp_path, '[store]\nurl = "postgresql://u:pw@db/news"\n'))


def test_secret_from_env_and_from_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSBOT_TELEGRAM__TOKEN", "123:env-token")
    secret_file = tmp_path / "key"
    secret_file.write_text("sk-from-file\n")
    settings = load_settings(write(tmp_path, f'[llm]\napi_key_file = "{secret_file}"\n'))
    assert settings.secret("telegram", "token") == "123:env-token"
    assert settings.secret("llm", "api_key") == "sk-from-file"
    assert "env-token" not in repr(settings) and "env-token" not in str(settings.model_dump())


def test_unreadable_secret_file_says_which(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, '[llm]\napi_key_file = "/nonexistent/key"\n'))
    with pytest.raises(ConfigError, match=r"\[llm\] api_key_file: cannot read /nonexistent/key"):
        settings.secret("llm", "api_key")


def test_store_urls_get_async_drivers_and_passwords_are_redacted() -> None:
    settings = Settings(store={"url": "postgresql://u:pw@db:5432/news"})
    assert settings.store_url() == "postgresql+asyncpg://u:pw@db:5432/news"
    assert redact_url(settings.store_url()) == "postgresql+asyncpg://u:***@db:5432/news"
    assert Settings().store_url() == "sqlite+aiosqlite:///data/newsbot.db"


def test_private_allowlist_is_validated(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, '[ingest]\nallow_private = ["10.1.2.0/24"]\n'))
    assert settings.ingest.allow_private == ["10.1.2.0/24"]
    with pytest.raises(ConfigError, match=r"\[ingest\] allow_private"):
        load_settings(write(tmp_path, '[ingest]\nallow_private = ["10.1.2.0/99"]\n'))
