"""Alembic migrations produce exactly the schema the models describe."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from storage.all_models import Base
from storage.search_objects import include_name


async def test_models_and_migrations_agree(engine):
    def diff(connection):
        # Search indexes (FTS5, pg_trgm) live outside the models, as in migrations/env.py.
        context = MigrationContext.configure(connection, opts={"include_name": include_name})
        return compare_metadata(context, Base.metadata)

    async with engine.connect() as connection:
        assert await connection.run_sync(diff) == []
