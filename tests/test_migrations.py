"""Alembic migrations produce exactly the schema the models describe."""

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from storage.all_models import Base
from storage.db import create_engine
from storage.migrate import alembic_config
from storage.search_objects import include_name


async def test_models_and_migrations_agree(engine):
    def diff(connection):
        # Search indexes (FTS5, pg_trgm) live outside the models, as in migrations/env.py.
        context = MigrationContext.configure(connection, opts={"include_name": include_name})
        return compare_metadata(context, Base.metadata)

    async with engine.connect() as connection:
        assert await connection.run_sync(diff) == []


AUTOINCREMENTED = sorted(
    table.name for table in Base.metadata.sorted_tables if table.kwargs.get("sqlite_autoincrement")
)


def test_every_table_with_a_surrogate_id_autoincrements():
    # Alembic does not compare table options, so this is the models' half of the check below.
    surrogate = sorted(
        table.name
        for table in Base.metadata.sorted_tables
        if [column.name for column in table.primary_key] == ["id"]
        and table.c.id.type.python_type is int
    )
    assert surrogate == AUTOINCREMENTED


async def _migrate(engine, revision: str, direction: str = "upgrade") -> None:
    cfg = alembic_config()

    def run(connection):
        cfg.attributes["connection"] = connection
        getattr(command, direction)(cfg, revision)

    async with engine.begin() as connection:
        await connection.run_sync(run)


async def _rows(connection, sql: str) -> list[tuple]:
    return [tuple(row) for row in (await connection.execute(text(sql))).all()]


SEED = (
    "INSERT INTO tenants (id, name, created_at) VALUES (1, 't', '2026-01-01')",
    "INSERT INTO subscribers (id, tenant_id, telegram_id, chat_id, attributes, status, "
    "created_at, updated_at) VALUES (5, 1, 50, 50, '{}', 'active', '2026-01-01', '2026-01-01')",
    "INSERT INTO segments (id, tenant_id, name, kind, created_at, updated_at) "
    "VALUES (3, 1, 's', 'static', '2026-01-01', '2026-01-01')",
    "INSERT INTO segment_members (segment_id, subscriber_id) VALUES (3, 5)",
    "INSERT INTO campaigns (id, tenant_id, name, description, type, status, messages, "
    "allow_paid_broadcast, created_at, updated_at, target_count, sent_count, failed_count, "
    "clicked_count, converted_count, revenue, cost, executions_total, executions_completed, "
    "executions_failed) VALUES (7, 1, 'Spring sale', 'tulips', 'broadcast', 'draft', '[]', 0, "
    "'2026-01-01', '2026-01-01', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)",
    "INSERT INTO executions (id, tenant_id, campaign_id, status, trigger, test_mode, "
    "target_percentage, priority, total, created_at) "
    "VALUES (9, 1, 7, 'completed', 'manual', 0, 100, 0, 1, '2026-01-01')",
    "INSERT INTO deliveries (id, execution_id, subscriber_id, chat_id, variation, status, "
    "attempts) VALUES (11, 9, 5, 50, 0, 'sent', 1)",
)
KEPT = ("campaigns", "executions", "deliveries", "segment_members", "subscribers")


async def _seeded_sqlite_at(tmp_path, revision: str):
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'old.db'}")
    await _migrate(engine, revision)
    async with engine.begin() as connection:
        for statement in SEED:
            await connection.execute(text(statement))
    return engine


@pytest.mark.parametrize("start", ["0011", "0010"])
async def test_sqlite_tables_are_rebuilt_with_autoincrement_keeping_rows(tmp_path, start):
    # From 0010 the run is already in a transaction when 0012 starts (0004 writes rows).
    engine = await _seeded_sqlite_at(tmp_path, start)
    await _migrate(engine, "head")
    async with engine.begin() as connection:
        for table in KEPT:
            assert await _rows(connection, f"SELECT count(*) FROM {table}") == [(1,)], table
        declared = await _rows(
            connection,
            "SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE '%AUTOINCREMENT%'",
        )
        assert sorted(name for (name,) in declared) == AUTOINCREMENTED
        assert await _rows(connection, "PRAGMA foreign_keys") == [(1,)]
        # 0004's triggers survive the rebuild: counts and the search index follow changes.
        await connection.execute(text("UPDATE campaigns SET name = 'Autumn fair' WHERE id = 7"))
        found = "SELECT rowid FROM campaigns_search WHERE campaigns_search MATCH 'fair'"
        assert await _rows(connection, found) == [(7,)]
        await connection.execute(text("DELETE FROM campaigns WHERE id = 7"))
        assert await _rows(connection, "SELECT count(*) FROM deliveries") == [(0,)]
        assert await _rows(connection, "SELECT sum(n) FROM campaign_counts") == [(0,)]
        again = SEED[4].replace("(id, ", "(").replace("VALUES (7, ", "VALUES (")
        await connection.execute(text(again))
        assert await _rows(connection, "SELECT max(id) FROM campaigns") == [(8,)]
    await engine.dispose()


async def test_sqlite_downgrade_from_0012_keeps_rows(tmp_path):
    engine = await _seeded_sqlite_at(tmp_path, "head")
    await _migrate(engine, "0011", "downgrade")
    async with engine.begin() as connection:
        for table in KEPT:
            assert await _rows(connection, f"SELECT count(*) FROM {table}") == [(1,)], table
        declared = await _rows(
            connection, "SELECT name FROM sqlite_master WHERE sql LIKE '%AUTOINCREMENT%'"
        )
        assert declared == []
    await engine.dispose()


STATUS_CHECKED = [
    "campaigns", "deliveries", "executions", "schedule_runs", "schedules", "trigger_jobs",
]  # fmt: skip
ADDED_AFTER_0013 = {"webhook_deliveries", "webhook_endpoints", "answers", "draws", "bot_chats"}
CHECKED = "SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE '%CHECK (status IN%'"


async def test_sqlite_status_checks_come_and_go_keeping_rows_and_triggers(tmp_path):
    engine = await _seeded_sqlite_at(tmp_path, "0012")
    await _migrate(engine, "0013")
    async with engine.begin() as connection:
        assert sorted(name for (name,) in await _rows(connection, CHECKED)) == STATUS_CHECKED
        for table in KEPT:
            assert await _rows(connection, f"SELECT count(*) FROM {table}") == [(1,)], table
        await connection.execute(text("UPDATE campaigns SET status = 'active' WHERE id = 7"))
        counted = "SELECT status, n FROM campaign_counts WHERE n > 0"
        assert await _rows(connection, counted) == [("active", 1)]  # 0004's triggers still count
    await _migrate(engine, "0012", "downgrade")
    async with engine.begin() as connection:
        assert await _rows(connection, CHECKED) == []
        for table in KEPT:
            assert await _rows(connection, f"SELECT count(*) FROM {table}") == [(1,)], table
        declared = await _rows(
            connection,
            "SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE '%AUTOINCREMENT%'",
        )
        assert sorted(name for (name,) in declared) == [
            name for name in AUTOINCREMENTED if name not in ADDED_AFTER_0013
        ]
    await engine.dispose()
