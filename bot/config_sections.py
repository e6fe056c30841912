"""The sections of the settings (``[store]``, ``[ingest]``, ...): each one's keys, their defaults
and the values each accepts; bot/config.py assembles them into Settings and reads them."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from bot.allowlist import parse_allowlist

# Slack's ids of workspaces (T…), channels (C…, G…, D…) and users (U…, W…).
_SLACK_ID = re.compile(r"[A-Z0-9]{2,32}")


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
