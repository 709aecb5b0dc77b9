"""Application settings: one pydantic-settings object, built once at the entry point."""

from __future__ import annotations

import re
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./data/campaigns.db"


class Role(StrEnum):
    """Which parts one process runs (scale-out on PostgreSQL runs each part where it fits)."""

    API = "api"  # REST API, plus the Telegram webhook route and the bot in webhook mode
    SENDER = "sender"  # the delivery engine
    SCHEDULER = "scheduler"  # leader candidate: the scheduler, and the one poller in polling mode
    ALL = "all"  # every part in one process


class Settings(BaseSettings):
    """Every knob of the service, read from the environment and an optional `.env` file."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    database_url: str = DEFAULT_DATABASE_URL
    bot_token: SecretStr | None = None
    telegram_api_url: str = "https://api.telegram.org"
    api_token: SecretStr | None = None
    admin_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8080, ge=1, le=65535)
    http_workers: int = Field(default=1, ge=1, le=32)
    redis_url: str | None = None
    send_rate: float = Field(default=30.0, gt=0, le=1000)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    schedule_grace_seconds: int = Field(default=3600, ge=0)
    emulator_users: int = Field(default=500, ge=0, le=100_000)
    emulator_port: int = Field(default=8081, ge=0, le=65535)
    worker_timeout_seconds: float = Field(default=20.0, gt=0)
    role: Role = Role.ALL
    # Outgoing webhooks: private, loopback and link-local targets only for tests and local dev.
    webhook_allow_private_urls: bool = False
    webhook_allow_http: bool = False
    webhook_timeout_seconds: float = Field(default=5.0, gt=0, le=30)

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _split_admin_ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [p.strip() for p in value.split(",") if p.strip()]
            try:
                return [int(p) for p in parts]
            except ValueError:
                raise ValueError("must be a comma-separated list of Telegram user ids") from None
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_log_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("role", mode="before")
    @classmethod
    def _lower_role(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError(
                "must start with sqlite+aiosqlite:// or postgresql+asyncpg:// (async drivers only)"
            )
        return value

    @field_validator("telegram_api_url", "webhook_url")
    @classmethod
    def _check_http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value.rstrip("/") if value else value

    @model_validator(mode="after")
    def _webhook_needs_secret(self) -> Settings:
        if self.webhook_url and self.webhook_secret is None:
            raise ValueError("WEBHOOK_SECRET is required when WEBHOOK_URL is set")
        if self.webhook_secret is not None and not re.fullmatch(
            r"[A-Za-z0-9_-]{1,256}", self.webhook_secret.get_secret_value()
        ):
            raise ValueError("WEBHOOK_SECRET: 1-256 characters of A-Z, a-z, 0-9, _ and -")
        return self

    @model_validator(mode="after")
    def _webhook_needs_one_http_process(self) -> Settings:
        if self.http_workers > 1 and self.webhook_url:
            # Telegram's updates must reach the one process that runs the bot.
            raise ValueError("HTTP_WORKERS > 1 needs polling: unset WEBHOOK_URL")
        return self

    @model_validator(mode="after")
    def _roles_need_postgres(self) -> Settings:
        if self.role is Role.ALL:
            return self
        if self.is_sqlite:
            # SQLite has one writer and no cross-process locks: one process runs everything.
            raise ValueError(
                f"ROLE={self.role.value} needs PostgreSQL: with SQLite run one process, ROLE=all"
            )
        if self.bot_token is None:
            raise ValueError(
                f"ROLE={self.role.value} needs BOT_TOKEN: the offline demo runs in one process"
            )
        return self

    def secrets(self) -> list[str]:
        """Every configured secret value (for log redaction)."""
        values = (self.bot_token, self.api_token, self.webhook_secret)
        return [v.get_secret_value() for v in values if v is not None]

    @property
    def is_sqlite(self) -> bool:
        """True when the embedded SQLite database is configured."""
        return self.database_url.startswith("sqlite")

    def sqlite_path(self) -> Path | None:
        """The SQLite file path, or None for PostgreSQL or in-memory SQLite."""
        if not self.is_sqlite:
            return None
        path = self.database_url.split(":///", 1)[-1]
        if not path or path.startswith(":memory:"):
            return None
        return Path(path)
