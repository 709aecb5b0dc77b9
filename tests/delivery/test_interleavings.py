"""Property: any interleaving of execute, pause, resume, cancel and engine restarts settles the
ledger: no row left pending or sending, nobody messaged twice by one execution, counters equal
to the ledger, and a lifecycle trail the transition table allows."""

from __future__ import annotations

import asyncio
import itertools
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, example, given, note, settings
from hypothesis import strategies as st
from sqlalchemy import text

from emulator.testing import EmulatorServer
from storage.all_models import Base
from storage.db import create_engine
from storage.migrate import upgrade_to_head
from tests.conftest import PG_URL, _pg_engine, _run_isolated
from tests.delivery.interleaving_world import Database, World, check_ledger, emulator_config

EXAMPLES = {"sqlite": 32, "postgres": 22}

Step = tuple[str, int]
target = st.sampled_from([0, 0, 0, 1])  # campaign 0 runs from the start; 1 may join it
# Hypothesis favours earlier branches: quick successions of lifecycle actions come first,
# they are what broke the ledger.
steps = st.one_of(
    st.tuples(st.sampled_from(["pause", "cancel", "resume"]), target),
    st.tuples(st.just("wait"), st.integers(1, 12)),
    st.tuples(st.sampled_from(["pause", "resume", "cancel"]), target),
    st.tuples(st.sampled_from(["crash", "restart"]), st.just(0)),
    st.tuples(st.just("execute"), target),
)
plans = st.lists(steps, min_size=1, max_size=10)
ISSUE_9 = [("wait", 5), ("pause", 0), ("resume", 0), ("cancel", 0)]


async def run_plan(database: Database, audience: int, plan: list[Step]) -> None:
    """Execute campaign 0, follow the plan, settle, then check the ledger."""
    async with EmulatorServer(emulator_config()) as emu:
        world = World(database, emu, audience)
        try:
            await world.setup()
            for name, arg in [("execute", 0), *plan]:
                world.log.append(f"{name} {arg}")
                if name == "execute":
                    await world.execute(arg)
                elif name in ("pause", "resume", "cancel"):
                    await world.act(name, arg)
                elif name in ("restart", "crash"):
                    await world.restart(hard=name == "crash")
                else:
                    await world.wait_messages(arg)
            await world.settle()
            await check_ledger(world)
        finally:
            await world.close()


@pytest.fixture
def fresh_database(backend: str, tmp_path: Path, request) -> Iterator[Callable[[], Database]]:
    """A factory of empty migrated databases (SQLite: copies of one migrated file)."""
    if backend == "sqlite":
        template = tmp_path / "template.db"

        async def migrate() -> None:
            engine = create_engine(f"sqlite+aiosqlite:///{template}")
            await upgrade_to_head(engine)
            await engine.dispose()

        _run_isolated(migrate)
        counter = itertools.count()

        def sqlite_copy() -> Database:
            path = tmp_path / f"example-{next(counter)}.db"
            shutil.copy(template, path)
            return Database(f"sqlite+aiosqlite:///{path}")

        yield sqlite_copy
        return
    schema = request.getfixturevalue("pg_schema")
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)

    def truncated() -> Database:
        async def truncate() -> None:
            engine = _pg_engine(schema)
            async with engine.begin() as conn:
                await conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
            await engine.dispose()

        _run_isolated(truncate)
        return Database(PG_URL, {"server_settings": {"search_path": schema}})

    yield truncated


def test_any_interleaving_settles_every_row(backend: str, fresh_database) -> None:
    @settings(
        derandomize=True,
        database=None,
        max_examples=EXAMPLES[backend],
        deadline=None,
        phases=(Phase.explicit, Phase.generate),  # a real engine per example: no shrinking
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(audience=st.integers(20, 60), plan=plans)
    @example(audience=40, plan=ISSUE_9)
    @example(audience=30, plan=[("wait", 4), ("crash", 0), ("pause", 0), ("crash", 0)])
    def interleaving(audience: int, plan: list[Step]) -> None:
        note(f"audience={audience} plan={plan}")
        asyncio.run(run_plan(fresh_database(), audience, plan))

    interleaving()
