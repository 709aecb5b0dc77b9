"""Apply alembic migrations from inside the running service or the CLI, one process at a time."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.locks import MIGRATIONS, hold_until_commit

ROOT = Path(__file__).resolve().parent.parent


def alembic_config() -> Config:
    """An alembic Config pointing at the project's migrations folder."""
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    return cfg


async def upgrade_to_head(engine: AsyncEngine) -> None:
    """Bring the database schema to the newest revision.

    On PostgreSQL the whole upgrade runs in one transaction holding an advisory lock: processes
    started together on an empty database wait for the first, then find it at head.
    """
    cfg = alembic_config()

    def _upgrade(connection: Connection) -> None:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "head")

    async with engine.begin() as connection:
        await hold_until_commit(connection, MIGRATIONS)
        await connection.run_sync(_upgrade)
