"""SQLite write units of work queue in arrival order on one writer gate per file, across processes."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import exc, text

from core.context import CoreContext
from storage.db import create_engine, create_session_factory
from storage.sqlite_writer_gate import GatedConnection, WriterGate, writer_gate

WRITERS = 6


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "writes.db"


@pytest.fixture
async def core(path: Path) -> AsyncIterator[CoreContext]:
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    async with engine.begin() as conn:
        await conn.exec_driver_sql("CREATE TABLE log (id INTEGER PRIMARY KEY, name TEXT)")
    yield CoreContext(session_factory=create_session_factory(engine))
    await engine.dispose()


async def until_queued(gate: WriterGate, count: int, seconds: float = 10) -> None:
    """Wait until `count` connections wait for the gate (they queue on driver threads)."""
    async with asyncio.timeout(seconds):
        while gate.waiting != count:  # noqa: ASYNC110 - set on driver threads, not on this loop
            await asyncio.sleep(0.001)


async def write(
    core: CoreContext,
    name: str,
    inside: asyncio.Event | None = None,
    hold: asyncio.Event | None = None,
) -> None:
    """One write unit of work; with `hold`, it keeps its transaction open until set."""
    async with core.uow() as uow:
        await uow.session.execute(text("INSERT INTO log (name) VALUES (:n)"), {"n": name})
        if inside is not None and hold is not None:
            inside.set()
            await hold.wait()


async def written(core: CoreContext) -> list[str]:
    async with core.uow(read_only=True) as uow:
        return list(await uow.session.scalars(text("SELECT name FROM log ORDER BY id")))


async def test_blocked_writers_all_succeed_in_arrival_order(core: CoreContext, path: Path) -> None:
    gate: WriterGate = writer_gate(str(path))
    inside, release = asyncio.Event(), asyncio.Event()
    tasks = [asyncio.create_task(write(core, "first", inside, release))]
    await inside.wait()  # "first" holds the gate with its transaction open
    for i in range(WRITERS):
        tasks.append(asyncio.create_task(write(core, f"w{i}")))
        await until_queued(gate, i + 1)  # w{i} queued: arrival order is fixed
    assert await written(core) == []  # nobody got past the open transaction
    release.set()
    await asyncio.gather(*tasks)  # none of them failed with "database is locked"
    assert await written(core) == ["first"] + [f"w{i}" for i in range(WRITERS)]
    assert gate.waiting == 0


async def test_writer_with_zero_busy_timeout_fails_at_once_while_another_writes(
    core: CoreContext,
) -> None:
    inside, release = asyncio.Event(), asyncio.Event()
    holder = asyncio.create_task(write(core, "holder", inside, release))
    await inside.wait()
    engine = core.session_factory.kw["bind"]
    async with engine.connect() as conn:
        await conn.exec_driver_sql("PRAGMA busy_timeout = 0")
        with pytest.raises(exc.OperationalError, match="database is locked"):
            await conn.execute(text("INSERT INTO log (name) VALUES (:n)"), {"n": "probe"})
        await conn.rollback()
        await conn.exec_driver_sql("PRAGMA busy_timeout = 30000")
    release.set()
    await holder
    await write(core, "after")  # the failed probe left the gate to the next writer
    assert await written(core) == ["holder", "after"]


async def test_a_rolled_back_writer_opens_the_gate(core: CoreContext) -> None:
    with pytest.raises(RuntimeError):
        async with core.uow() as uow:
            await uow.session.execute(text("INSERT INTO log (name) VALUES ('lost')"))
            raise RuntimeError("handler failed")
    await asyncio.wait_for(write(core, "next"), 5)
    assert await written(core) == ["next"]


class OtherProcess:
    """Another process of the same deployment, holding the database's writer lock file."""

    def __init__(self, database: Path) -> None:
        script = (
            "import sys; from storage.sqlite_writer_gate import FileWriterLock\n"
            f"lock = FileWriterLock({str(database) + '.writer-lock'!r})\n"
            "assert lock.acquire(5)\n"
            "print('held', flush=True)\n"
            "sys.stdin.readline()\n"
            "lock.release()\n"
        )
        self.process = subprocess.Popen(
            [sys.executable, "-c", script],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=Path(__file__).resolve().parents[2],
        )

    def __enter__(self) -> OtherProcess:
        assert self.process.stdout is not None
        assert self.process.stdout.readline().strip() == "held"
        return self

    def let_go(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write("go\n")
        self.process.stdin.flush()
        assert self.process.wait(10) == 0

    def __exit__(self, *exc: object) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.communicate()  # reaps it and closes both pipes


def gated_write(path: Path, name: str, busy_ms: int) -> None:
    """One write through the gated driver connection, as the service's engine makes it."""
    connection = sqlite3.connect(str(path), factory=GatedConnection)
    try:
        connection.execute(f"PRAGMA busy_timeout = {busy_ms}")
        connection.execute("INSERT INTO log (name) VALUES (?)", (name,))
        connection.commit()
    finally:
        connection.close()


async def test_a_writer_waits_for_another_process_of_the_deployment(
    core: CoreContext, path: Path
) -> None:
    with OtherProcess(path) as other:
        # SQLite itself is free (the other process holds only the lock file), yet the writer
        # queues behind it: the processes are ordered by the file, not by busy_timeout polling.
        with pytest.raises(sqlite3.OperationalError, match="database is locked"):
            await asyncio.to_thread(gated_write, path, "too impatient", 200)
        waiting = asyncio.create_task(asyncio.to_thread(gated_write, path, "patient", 30_000))
        done, _ = await asyncio.wait({waiting}, timeout=0.3)
        assert not done  # still queued behind the other process
        other.let_go()
        await asyncio.wait_for(waiting, 10)  # woken when the other process let go
    assert await written(core) == ["patient"]
