"""The core built from Settings: database engine and context (light: no Telegram imports)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from core.config import Settings
from core.context import CoreContext
from core.webhooks.urls import UrlPolicy
from storage.db import create_engine, create_session_factory


def build_core(settings: Settings) -> tuple[CoreContext, AsyncEngine]:
    """The core context and the database engine behind it."""
    engine = create_engine(settings.database_url)
    core = CoreContext(
        session_factory=create_session_factory(engine),
        admin_ids=tuple(settings.admin_ids),
        send_rate=settings.send_rate,
        webhook_urls=UrlPolicy(
            allow_private=settings.webhook_allow_private_urls,
            allow_http=settings.webhook_allow_http,
        ),
    )
    return core, engine
