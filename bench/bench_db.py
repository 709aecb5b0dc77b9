"""The benchmarks' throwaway database: a SQLite file in a temp dir or a private PG schema."""

from __future__ import annotations

import shutil
import tempfile
import uuid
from typing import Any


class Database:
    """A migrated database: a SQLite file in a temp dir, or a private PostgreSQL schema."""

    def __init__(self, url: str | None, schema: str | None = None, *, prefix: str) -> None:
        self.tmp: str | None = None
        self.schema = schema
        if url is None:
            self.tmp = tempfile.mkdtemp(prefix=f"{prefix}_")
            url = f"sqlite+aiosqlite:///{self.tmp}/bench.db"
        elif url.startswith("postgresql") and schema is None:
            self.schema = f"{prefix}_{uuid.uuid4().hex[:8]}"
        self.url = url

    @property
    def is_sqlite(self) -> bool:
        """Whether this is a SQLite database."""
        return self.url.startswith("sqlite")

    @property
    def backend(self) -> str:
        """sqlite or postgresql."""
        return "sqlite" if self.is_sqlite else "postgresql"

    @property
    def path(self) -> str:
        """The SQLite file."""
        return self.url.split(":///", 1)[1]

    def engine(self) -> Any:
        """The service's own engine (storage.db), with the schema on the search_path."""
        from storage.db import create_engine

        settings = {"server_settings": {"search_path": self.schema}} if self.schema else None
        return create_engine(self.url, connect_args=settings)

    async def _admin(self, sql: str) -> None:
        from sqlalchemy import text
        from sqlalchemy.ext.asyncio import create_async_engine

        engine = create_async_engine(self.url, isolation_level="AUTOCOMMIT")
        try:
            async with engine.connect() as conn:
                await conn.execute(text(sql))
        finally:
            await engine.dispose()

    async def create(self) -> None:
        """Create the schema (PostgreSQL) and migrate to head."""
        from storage.migrate import upgrade_to_head

        if self.schema:
            await self._admin(f'CREATE SCHEMA "{self.schema}"')
        engine = self.engine()
        try:
            await upgrade_to_head(engine)
        finally:
            await engine.dispose()

    async def drop(self) -> None:
        """Remove the temp dir or drop the private schema."""
        if self.tmp:
            shutil.rmtree(self.tmp, ignore_errors=True)
        if self.schema:
            await self._admin(f'DROP SCHEMA "{self.schema}" CASCADE')

    def copy_to(self, other: Database) -> None:
        """Copy this (checkpointed) SQLite file into another temp database."""
        shutil.copyfile(self.path, other.path)
