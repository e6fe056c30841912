"""Typed settings: config/newsbot.toml, overridden by NEWSBOT_* environment variables; each
section's keys and what they accept are in bot/config_sections.py.

Secrets (tokens, API keys, passwords) are accepted only from the environment or from a file
reference (``<name>_file``); a secret written into the config file is an error that says what to do.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pydantic import SecretStr, ValidationError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from bot.config_sections import (
    BotSettings,
    CompaniesSettings,
    CpuSettings,
    DeliverySettings,
    DigestSettings,
    IngestSettings,
    LimitsSettings,
    LLMSettings,
    LogSettings,
    SlackSettings,
    StoreSettings,
    SummarizerSettings,
    TelegramSettings,
    WebSettings,
    WorkersSettings,
)

DEFAULT_CONFIG = Path("config/newsbot.toml")
ENV_PREFIX = "NEWSBOT_"

# (section, key) of every secret; each has a companion "<key>_file" setting.
SECRETS: tuple[tuple[str, str], ...] = (
    ("llm", "api_key"),
    ("telegram", "token"),
    ("telegram", "webhook_secret"),
    ("slack", "bot_token"),
    ("slack", "app_token"),
    ("slack", "signing_secret"),
    ("web", "token"),
)


class ConfigError(Exception):
    """The configuration cannot be used; the message says where and what to fix."""


class Settings(BaseSettings):
    """Every setting of newsbot; see config/newsbot.toml for what each one means."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_nested_delimiter="__", extra="forbid", case_sensitive=False
    )

    store: StoreSettings = StoreSettings()
    ingest: IngestSettings = IngestSettings()
    digest: DigestSettings = DigestSettings()
    companies: CompaniesSettings = CompaniesSettings()
    summarizer: SummarizerSettings = SummarizerSettings()
    llm: LLMSettings = LLMSettings()
    telegram: TelegramSettings = TelegramSettings()
    slack: SlackSettings = SlackSettings()
    bot: BotSettings = BotSettings()
    limits: LimitsSettings = LimitsSettings()
    delivery: DeliverySettings = DeliverySettings()
    cpu: CpuSettings = CpuSettings()
    workers: WorkersSettings = WorkersSettings()
    web: WebSettings = WebSettings()
    log: LogSettings = LogSettings()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The environment overrides the file, which init_settings carries.
        return (env_settings, init_settings)

    def secret(self, section: str, key: str) -> str | None:
        """The value of a secret, read from the environment or its ``<key>_file``."""
        part = getattr(self, section)
        value: SecretStr | None = getattr(part, key)
        if value is not None:
            return value.get_secret_value()
        path: Path | None = getattr(part, f"{key}_file")
        if path is None:
            return None
        try:
            return path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError(
                f"[{section}] {key}_file: cannot read {path} ({exc.strerror}); "
                "point it at a readable file that holds only the secret"
            ) from exc

    def store_url(self) -> str:
        """The SQLAlchemy async URL of the store, with the async driver filled in."""
        # Imported here: the store loads SQLAlchemy, which `newsbot --help` need not wait for.
        from bot.store.db import normalise_store_url

        url = self.store.url
        if self.store.url_file is not None:
            url = self.store.url_file.read_text(encoding="utf-8").strip()
        return normalise_store_url(url)


def redact_url(url: str) -> str:
    """The URL with any password replaced, safe to log."""
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return parts._replace(netloc=netloc).geturl()
    return url


def config_path(explicit: str | Path | None = None) -> Path:
    """The config file to read: the argument, else NEWSBOT_CONFIG, else config/newsbot.toml."""
    return Path(explicit or os.environ.get("NEWSBOT_CONFIG") or DEFAULT_CONFIG)


def read_file(path: Path) -> dict[str, Any]:
    """Parse the TOML file; a missing default file means all defaults."""
    if not path.exists():
        if path == DEFAULT_CONFIG:
            return {}
        raise ConfigError(f"{path}: no such config file; create it or drop --config")
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}; fix the syntax there") from exc
    for section, key in SECRETS:
        if key in data.get(section, {}):
            env = f"{ENV_PREFIX}{section.upper()}__{key.upper()}"
            raise ConfigError(
                f"{path}: [{section}] {key}: secrets are not read from the config file; "
                f'set {env} in the environment or {key}_file = "/path/to/secret" instead'
            )
    url = data.get("store", {}).get("url")
    if isinstance(url, str) and urlsplit(url).password:
        raise ConfigError(
            f"{path}: [store] url holds a password; set NEWSBOT_STORE__URL in the environment "
            'or url_file = "/path/to/url" instead'
        )
    return data


def load_settings(path: str | Path | None = None) -> Settings:
    """Read, merge and validate the settings, or raise ConfigError saying what to fix."""
    file = config_path(path)
    data = read_file(file)
    try:
        return Settings(**data)
    except ValidationError as exc:
        raise ConfigError(describe_errors(exc, file)) from None


def describe_errors(exc: ValidationError, file: Path) -> str:
    """One line per problem: which file or variable, which key, what is expected."""
    secret_keys = {k for _, k in SECRETS}
    lines = []
    for err in exc.errors():
        loc = [str(part) for part in err["loc"]]
        key = f"[{loc[0]}] {'.'.join(loc[1:])}" if len(loc) > 1 else loc[0] if loc else "?"
        env = ENV_PREFIX + "__".join(part.upper() for part in loc)
        origin = env if env in {k.upper() for k in os.environ} else str(file)
        message = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            message = "unknown setting; check the spelling against config/newsbot.toml"
        shown = "" if (loc and loc[-1] in secret_keys) else f" (got {err.get('input')!r})"
        if err["type"] == "extra_forbidden" or err["type"] == "missing":
            shown = ""
        lines.append(f"{origin}: {key}: {message}{shown}")
    return "\n".join(lines)
