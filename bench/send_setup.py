"""Helpers of bench/send.py: the emulator process, databases, set-based seeding, campaigns."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.bench_db import Database as BenchDatabase  # noqa: E402
from emulator.ports import free_port  # noqa: E402

FIRST_USER_ID = 100_000_001  # the emulator's default user_id_start
MESSAGE = "Hello {first_name}! Our autumn sale starts today: up to 40% off."


def log(message: str) -> None:
    """Progress goes to stderr; stdout carries only the JSON lines."""
    print(message, file=sys.stderr, flush=True)


class Database(BenchDatabase):
    """The bench database, named bench_send_*."""

    def __init__(self, url: str | None) -> None:
        super().__init__(url, prefix="bench_send")


def child_env() -> dict[str, str]:
    """Environment of child processes: the repository on PYTHONPATH."""
    return {**os.environ, "PYTHONPATH": str(ROOT)}


class EmulatorProcess:
    """`python -m emulator` in its own process, so the sender's CPU is measured alone."""

    def __init__(self, users: int, *, rate: int = 30, paid_rate: int = 1000) -> None:
        self.users, self.rate, self.paid_rate = users, rate, paid_rate
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.process: asyncio.subprocess.Process | None = None

    async def __aenter__(self) -> EmulatorProcess:
        command = [
            sys.executable, "-m", "emulator", "--port", str(self.port), "--users", str(self.users),
            "--rate", str(self.rate), "--paid-rate", str(self.paid_rate),
        ]  # fmt: skip
        self.process = await asyncio.create_subprocess_exec(
            *command, cwd=ROOT, env=child_env(), stdout=sys.stderr, stderr=sys.stderr
        )
        for _ in range(600):
            try:
                health = await self.get("/_emulator/health")
                if health.get("users", 0) >= self.users:
                    log(f"emulator pid {self.process.pid} on {self.base_url}: {health}")
                    return self
            except OSError:
                pass
            if self.process.returncode is not None:
                raise SystemExit(f"emulator exited with {self.process.returncode}")
            await asyncio.sleep(0.1)
        raise SystemExit("emulator did not come up within 60 s")

    async def __aexit__(self, *exc: object) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), 10)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()

    async def get(self, path: str, **query: str) -> dict[str, Any]:
        """GET a control route of the emulator."""
        import aiohttp

        async with (
            aiohttp.ClientSession() as session,
            session.get(self.base_url + path, params=query) as response,
        ):
            return dict(await response.json())

    async def bot_stats(self, token: str) -> dict[str, Any]:
        """The emulator's counters for one token (accepted sends, 429s, achieved rate)."""
        report = await self.get("/_emulator/stats", token=token)
        return dict(report["bots"].get(token) or {})


async def seed(db: Database, count: int) -> tuple[int, float]:
    """`count` active subscribers (telegram id = chat id = emulator user ids) in one INSERT.

    Returns (tenant id, seconds).
    """
    import time

    from sqlalchemy import text

    from core.auth import default_tenant
    from core.context import CoreContext
    from storage.db import create_session_factory

    engine = db.engine()
    try:
        core = CoreContext(session_factory=create_session_factory(engine))
        async with core.uow() as uow:
            tenant_id = (await default_tenant(uow)).id
        columns = (
            "tenant_id, telegram_id, chat_id, first_name, last_name, username, language_code, "
            "attributes, status, source, created_at, updated_at"
        )
        values = (
            f"{tenant_id}, {FIRST_USER_ID - 1} + i, {FIRST_USER_ID - 1} + i, 'User' || i, "
            "NULL, 'user' || i, 'en', '{}', 'active', 'bench'"
        )
        if db.is_sqlite:
            stamp = "'2024-01-01 00:00:00.000000'"
            sql = (
                f"INSERT INTO subscribers ({columns}) WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL "
                f"SELECT i + 1 FROM n WHERE i < {count}) SELECT {values}, {stamp}, {stamp} FROM n"
            )
        else:
            sql = (
                f"INSERT INTO subscribers ({columns}) SELECT {values}, now(), now() "
                f"FROM generate_series(1, {count}) AS i"
            )
        started = time.perf_counter()
        async with engine.begin() as conn:
            await conn.execute(text(sql))
        async with engine.connect() as conn:
            if db.is_sqlite:
                await conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            else:
                conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
                await conn.execute(text("VACUUM ANALYZE subscribers"))
        return tenant_id, round(time.perf_counter() - started, 2)
    finally:
        await engine.dispose()


async def new_campaign(db: Database, tenant_id: int, *, paid: bool, execute: bool) -> int:
    """Create a campaign for every active subscriber (and start it); returns its id."""
    from core.campaign_actions import start_execution
    from core.campaigns import create_campaign
    from core.context import Actor, CoreContext
    from core.models import CampaignCreate, ExecuteOptions
    from storage.db import create_session_factory

    engine = db.engine()
    try:
        core = CoreContext(session_factory=create_session_factory(engine))
        actor = Actor(tenant_id, "bench:send")
        body = {"name": "Bench", "messages": [{"content": MESSAGE}], "allowPaidBroadcast": paid}
        async with core.uow() as uow:
            campaign = await create_campaign(uow, actor, CampaignCreate.model_validate(body))
            if execute:
                await start_execution(uow, actor, campaign, ExecuteOptions())
            return int(campaign.id)
    finally:
        await engine.dispose()


async def run_child(role: str, *args: str, on_ready: Any = None) -> dict[str, Any]:
    """Run `bench/send_worker.py ROLE ...`; returns the JSON it prints last."""
    import json

    # Linux carries a process's peak RSS across fork and exec into ru_maxrss: a child forked
    # straight from this (aiogram-sized) process would report our RSS as its own. A shell in
    # between forks the child from its own small image.
    launcher = ["sh", "-c", '"$@"; exit $?', "sh"]
    command = [*launcher, sys.executable, str(ROOT / "bench" / "send_worker.py"), role, *args]
    process = await asyncio.create_subprocess_exec(
        *command, cwd=ROOT, env=child_env(), stdout=asyncio.subprocess.PIPE
    )
    assert process.stdout is not None
    result: dict[str, Any] = {}
    helper = None
    async for raw in process.stdout:
        line = raw.decode().strip()
        if line.startswith("ready ") and on_ready is not None:
            helper = on_ready(int(line.split()[1]))
        elif line.startswith("{"):
            result = json.loads(line)
    code = await process.wait()
    if helper is not None:
        helper.wait()
    if code != 0 or not result:
        raise SystemExit(f"{role} child failed with exit code {code}")
    return result


def profiler(path: str) -> Any:
    """A callback that attaches py-spy to a child once it is ready."""
    fmt = {".svg": "flamegraph", ".json": "speedscope"}.get(Path(path).suffix, "raw")

    def attach(pid: int) -> subprocess.Popen[bytes]:
        spy = ROOT / ".venv" / "bin" / "py-spy"
        command = [str(spy), "record", "-p", str(pid), "-o", path, "-f", fmt, "-r", "250"]
        return subprocess.Popen([*command, "--nonblocking"], stdout=sys.stderr, stderr=sys.stderr)

    return attach


async def clear_ledger(db: Database) -> None:
    """Empty the ledger between PostgreSQL runs (each run snapshots into an empty table)."""
    from sqlalchemy import text

    engine = db.engine()
    try:
        async with engine.begin() as conn:
            await conn.execute(text("TRUNCATE deliveries, executions, campaign_events CASCADE"))
    finally:
        await engine.dispose()
