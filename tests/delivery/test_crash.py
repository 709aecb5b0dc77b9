"""kill -9 in the middle of a send: no duplicates, in-flight rows become unknown, the rest goes."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections import Counter
from pathlib import Path

from sqlalchemy import select

from emulator.testing import make_token
from storage.models import Delivery
from tests.delivery.conftest import add_subscribers, launch, wait_for_status

ROOT = Path(__file__).resolve().parents[2]
RATE = 30.0
CLAIM = int(RATE * 0.5)  # EngineSettings.claim_seconds × rate
TOTAL = 150


async def spawn(url: str, emu, token: str, schema: str) -> asyncio.subprocess.Process:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.delivery.crash_worker", url, emu.base_url, token, str(RATE),
        schema,
        cwd=ROOT, stdout=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    assert process.stdout is not None
    assert (await asyncio.wait_for(process.stdout.readline(), 30)).strip() == b"started"
    return process


async def test_sigkill_mid_send_then_restart(core, actor, emu, backend, engine, request):
    schema = request.getfixturevalue("pg_schema") if backend == "postgres" else ""
    users = await emu.create_users(TOTAL)
    await add_subscribers(core, actor, [u.id for u in users])
    campaign_id, execution_id = await launch(core, actor)
    token = make_token()
    url = engine.url.render_as_string(hide_password=False)
    first = await spawn(url, emu, token, schema)
    await emu.wait_until(lambda: emu.stats()["totals"]["accepted"] >= 40, within=30)
    first.send_signal(signal.SIGKILL)
    await first.wait()
    delivered_before_restart = emu.stats()["totals"]["accepted"]
    assert delivered_before_restart < TOTAL

    # On PostgreSQL the dead worker's rows turn unknown once its heartbeat is stale (2 s here).
    second = await spawn(url, emu, token, schema)
    try:
        await wait_for_status(core, campaign_id, {"completed"}, within=60)
    finally:
        second.send_signal(signal.SIGKILL)
        await second.wait()

    received = Counter()
    for user in users:
        received[user.id] = len(emu.messages(user.id))
    assert max(received.values()) == 1, "somebody got the execution twice"
    async with core.uow() as uow:
        rows = list(
            await uow.session.scalars(select(Delivery).where(Delivery.execution_id == execution_id))
        )
    statuses = Counter(r.status for r in rows)
    assert statuses["pending"] == statuses["sending"] == 0
    assert statuses["unknown"] <= 2 * CLAIM  # at most what was claimed but not written back
    for row in rows:
        if row.status == "sent":
            assert received[row.chat_id] == 1
        if row.status == "unknown":
            assert row.error_code == "UNKNOWN"
    assert statuses["sent"] + statuses["unknown"] == TOTAL
    assert sum(received.values()) >= statuses["sent"]
