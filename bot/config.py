"""Typed settings: config/newsbot.toml, overridden by NEWSBOT_* environment variables.

Secrets (tokens, API keys, passwords) are accepted only from the environment or from a file
reference (``<name>_file``); a secret written into the config file is an error that says what to do.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

DEFAULT_CONFIG = Path("config/newsbot.toml")
ENV_PREFIX = "NEWSBOT_"
# Slack's ids of workspaces (T…), channels (C…, G…, D…) and users (U…, W…).
_SLACK_ID = re.compile(r"[A-Z0-9]{2,32}")
# A host name in an allowlist, after IDNA encoding.
_HOSTNAME = re.compile(r"^[a-z0-9_-]+(\.[a-z0-9_-]+)*$")

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


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StoreSettings(Section):
    url: str = "sqlite:///data/newsbot.db"
    url_file: Path | None = None
    retention_days: int = Field(90, ge=0)

    @field_validator("url")
    @classmethod
    def _known_driver(cls, value: str) -> str:
        scheme = value.split("://", 1)[0]
        if not scheme.startswith(("sqlite", "postgresql", "postgres")):
            raise ValueError("expected a sqlite:/// or postgresql:// URL")
        return value

    @field_validator("retention_days")
    @classmethod
    def _keep_a_week(cls, value: int) -> int:
        if 0 < value < 7:
            raise ValueError("expected 0 (keep everything) or at least 7 days")
        return value


class IngestSettings(Section):
    feeds_file: Path = Path("config/feeds.opml")
    user_agent: str = "newsbot/0.1 (self-hosted news digest; +https://github.com/newsbot/newsbot)"
    timeout_seconds: float = Field(20.0, gt=0)
    request_deadline_seconds: float = Field(60.0, gt=0)
    feed_time_budget_seconds: float = Field(120.0, gt=0)
    host_time_budget_seconds: float = Field(300.0, gt=0)
    max_body_bytes: int = Field(10_000_000, ge=1024)
    max_redirects: int = Field(5, ge=0, le=20)
    per_host_concurrency: int = Field(2, ge=1)
    concurrency: int = Field(8, ge=1)
    poll_interval_minutes: int = Field(30, ge=1)
    max_backoff_minutes: int = Field(1440, ge=1)
    min_text_chars: int = Field(300, ge=0)
    max_article_chars: int = Field(100_000, ge=1000)
    max_entries_per_feed: int = Field(100, ge=1)
    allow_private: list[str] = []

    @field_validator("allow_private")
    @classmethod
    def _allowlist(cls, value: list[str]) -> list[str]:
        parse_allowlist(value)  # raises ValueError saying what to write
        return value


@dataclass(frozen=True, slots=True)
class Allowlist:
    """``[ingest] allow_private`` read: exact host names (IDNA), ``*.name`` suffixes (with their
    leading dot) and networks, which the SSRF guard lets through."""

    names: frozenset[str]
    suffixes: tuple[str, ...]
    networks: tuple[IPv4Network | IPv6Network, ...]


def parse_allowlist(entries: Iterable[str]) -> Allowlist:
    """Read allowlist entries: host names (intranet.example), ``*.corp.example`` for every name
    under corp.example, or networks and addresses (10.1.2.0/24, 10.1.2.3, fd00::/8); raises
    ValueError naming the entry it cannot read."""
    names: set[str] = set()
    suffixes: list[str] = []
    networks: list[IPv4Network | IPv6Network] = []
    for entry in entries:
        item = entry.strip().lower().rstrip(".")
        try:
            networks.append(ip_network(item, strict=False))
            continue
        except ValueError:
            pass
        name = item.removeprefix("*.")
        try:
            name = name.encode("idna").decode("ascii")
        except UnicodeError:
            name = ""
        if not _HOSTNAME.match(name):
            raise ValueError(
                f"allowlist entry {entry!r}: expected a host name (intranet.example, "
                "*.corp.example) or a network (10.1.2.0/24, 10.1.2.3, fd00::/8)"
            )
        if item.startswith("*."):
            suffixes.append("." + name)
        else:
            names.add(name)
    return Allowlist(frozenset(names), tuple(suffixes), tuple(networks))


class DigestSettings(Section):
    max_stories: int = Field(12, ge=1, le=100)
    summary_sentences: int = Field(2, ge=1, le=10)
    default_time: str = "08:00"
    default_timezone: str = "UTC"

    @field_validator("default_time")
    @classmethod
    def _hh_mm(cls, value: str) -> str:
        hour, _, minute = value.partition(":")
        if not (hour.isdigit() and minute.isdigit() and int(hour) < 24 and int(minute) < 60):
            raise ValueError("expected a time as HH:MM, e.g. 08:00")
        return f"{int(hour):02d}:{int(minute):02d}"

    @field_validator("default_timezone")
    @classmethod
    def _iana_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError("expected an IANA time zone, e.g. Europe/Berlin") from exc
        return value


class CompaniesSettings(Section):
    file: Path = Path("config/companies.toml")


class SummarizerSettings(Section):
    backend: Literal["extractive", "llm"] = "extractive"


class LLMSettings(Section):
    base_url: str = "https://api.openai.com/v1"
    model: str = "gpt-4o-mini"
    api_key: SecretStr | None = None
    api_key_file: Path | None = None
    timeout_seconds: float = Field(30.0, gt=0)
    daily_token_budget: int = Field(200_000, ge=0)


class TelegramSettings(Section):
    token: SecretStr | None = None
    token_file: Path | None = None
    base_url: str = "https://api.telegram.org/bot"
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_secret_file: Path | None = None
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = Field(8443, ge=1, le=65535)
    allowed_chats: list[int] = []
    allowed_users: list[int] = []

    @field_validator("webhook_url")
    @classmethod
    def _https(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith("https://"):
            raise ValueError("expected the public https:// URL Telegram posts updates to")
        return value


class SlackSettings(Section):
    bot_token: SecretStr | None = None
    bot_token_file: Path | None = None
    app_token: SecretStr | None = None
    app_token_file: Path | None = None
    signing_secret: SecretStr | None = None
    signing_secret_file: Path | None = None
    base_url: str = "https://slack.com/api/"
    mode: Literal["socket", "http"] = "socket"
    port: int = Field(3000, ge=1, le=65535)
    admins: list[str] = []
    allowed_workspaces: list[str] = []
    allowed_channels: list[str] = []

    @field_validator("allowed_workspaces", "allowed_channels")
    @classmethod
    def _slack_ids(cls, value: list[str]) -> list[str]:
        for item in value:
            if not _SLACK_ID.fullmatch(item):
                raise ValueError(
                    f"{item!r} is not a Slack id: expected ids such as T0123ABCD (workspace) "
                    "or C0123ABCD (channel), not names; Slack shows them in a channel's or "
                    "workspace's details"
                )
        return value


class BotSettings(Section):
    owners: list[str] = []

    @field_validator("owners")
    @classmethod
    def _platform_user(cls, value: list[str]) -> list[str]:
        for item in value:
            platform, _, user = item.partition(":")
            if not (
                (platform == "telegram" and user.isdigit())
                or (platform == "slack" and _SLACK_ID.fullmatch(user))
            ):
                raise ValueError(
                    f'{item!r}: expected "platform:user_id" such as "telegram:12345" or '
                    '"slack:U0123ABCD"'
                )
        return value


class LimitsSettings(Section):
    summary_per_hour: int = Field(20, ge=0)
    ask_per_hour: int = Field(10, ge=0)


class DeliverySettings(Section):
    missed_grace_minutes: int = Field(180, ge=0)
    lease_seconds: int = Field(60, ge=1)
    concurrency: int = Field(64, ge=1, le=1000)


class CpuSettings(Section):
    workers: int = Field(0, ge=0, le=64)  # 0: min(2, the machine's CPUs)
    task_timeout_seconds: float = Field(15.0, gt=0)


class WorkersSettings(Section):
    enabled: bool = False
    concurrency: int = Field(4, ge=1, le=100)
    heartbeat_seconds: float = Field(2.0, gt=0, le=60)
    stalled_seconds: float = Field(10.0, gt=0, le=3600)
    liveness_locks: bool = True


class WebSettings(Section):
    enabled: bool = False
    listen: str = "127.0.0.1"
    port: int = Field(8080, ge=0, le=65535)  # 0: any free port
    token: SecretStr | None = None  # required when listen is beyond loopback
    token_file: Path | None = None


class LogSettings(Section):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    format: Literal["console", "json"] = "console"


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
