"""Every status column refuses what its lifecycle does not know: migration, models and enums agree."""

from __future__ import annotations

import importlib.util
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from sqlalchemy import CheckConstraint, Table, insert, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from core.lifecycle import (
    DeliveryStatus,
    ExecutionStatus,
    ScheduleRunStatus,
    ScheduleStatus,
    Status,
    TriggerJobStatus,
)
from storage.all_models import Base

MIGRATION = Path(__file__).parent.parent / "migrations/versions/0013_status_check_constraints.py"
ENUMS: dict[str, type[StrEnum]] = {
    "campaigns": Status,
    "executions": ExecutionStatus,
    "deliveries": DeliveryStatus,
    "schedules": ScheduleStatus,
    "schedule_runs": ScheduleRunStatus,
    "trigger_jobs": TriggerJobStatus,
}
NOW = datetime(2026, 1, 1, tzinfo=UTC)
# One valid row per table, parents first; the status is added per table.
ROWS: dict[str, dict[str, Any]] = {
    "tenants": {"id": 1, "name": "t"},
    "subscribers": {"id": 1, "tenant_id": 1, "telegram_id": 5, "chat_id": 5},
    "campaigns": {"id": 1, "tenant_id": 1, "name": "c", "type": "message"},
    "executions": {"id": 1, "tenant_id": 1, "campaign_id": 1},
    "deliveries": {"id": 1, "execution_id": 1, "subscriber_id": 1, "chat_id": 5},
    "schedules": {
        "id": 1,
        "tenant_id": 1,
        "campaign_id": 1,
        "name": "s",
        "type": "recurring",
        "schedule": {},
    },
    "schedule_runs": {"id": 1, "schedule_id": 1, "scheduled_for": NOW},
    "trigger_events": {
        "id": 1,
        "tenant_id": 1,
        "event_key": "e",
        "name": "joined",
        "subscriber_id": 1,
        "occurred_at": NOW,
    },
    "trigger_jobs": {"id": 1, "schedule_id": 1, "event_id": 1, "subscriber_id": 1, "due_at": NOW},
}


def migration() -> ModuleType:
    spec = importlib.util.spec_from_file_location("status_checks", MIGRATION)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def table(name: str) -> Table:
    return Base.metadata.tables[name]


def status_check(name: str) -> CheckConstraint:
    [check] = [c for c in table(name).constraints if isinstance(c, CheckConstraint)]
    return check


@pytest.mark.parametrize("name", ENUMS)
def test_the_migration_lists_exactly_the_enums_statuses(name: str) -> None:
    assert migration().STATUSES[name] == tuple(status.value for status in ENUMS[name])


def test_the_migration_guards_every_status_table() -> None:
    assert set(migration().STATUSES) == set(ENUMS)


@pytest.mark.parametrize("name", ENUMS)
def test_the_models_declare_the_migrations_check(name: str) -> None:
    check, statuses = status_check(name), migration().STATUSES[name]
    assert str(check.sqltext) == migration().condition(statuses)
    assert check.name == migration().name_of(name)


async def _refused(engine: AsyncEngine, statement: Any, name: str) -> None:
    with pytest.raises(IntegrityError) as refused:
        async with engine.begin() as connection:
            await connection.execute(statement)
    assert f"ck_{name}_status" in str(refused.value)


async def test_each_status_column_takes_its_statuses_and_refuses_others(engine: AsyncEngine):
    for name, values in ROWS.items():
        row = dict(values)
        if name in ENUMS:
            await _refused(engine, insert(table(name)).values(**row, status="bogus"), name)
            row["status"] = next(iter(ENUMS[name])).value
        async with engine.begin() as connection:
            await connection.execute(insert(table(name)).values(**row))
    for name, enum in ENUMS.items():
        for status in enum:
            async with engine.begin() as connection:
                await connection.execute(update(table(name)).values(status=status.value))
        await _refused(engine, update(table(name)).values(status="bogus"), name)
        # Statuses are lowercase: a differently spelled one is another word.
        await _refused(engine, text(f"UPDATE {name} SET status = 'PAUSED'"), name)
