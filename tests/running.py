"""The whole service started in-process on a temp SQLite file and free ports (for tests)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from core.config import Settings
from emulator.ports import free_port
from runtime import Service


def service_settings(tmp_path: Path, **overrides: Any) -> Settings:
    """Settings of an offline service with no .env, an empty emulator and no configured keys."""
    values: dict[str, Any] = {
        "database_url": f"sqlite+aiosqlite:///{tmp_path / 'svc.db'}",
        "http_port": free_port(),
        "emulator_port": 0,
        "emulator_users": 0,
        "admin_ids": [],
        "api_token": None,
        "bot_token": None,
    }
    return Settings(_env_file=None, **{**values, **overrides})


@asynccontextmanager
async def running_service(settings: Settings) -> AsyncIterator[Service]:
    """Start the service, yield it, always stop it."""
    service = Service(settings)
    try:
        await service.start()
        yield service
    finally:
        await service.stop()
