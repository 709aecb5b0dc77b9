"""The engine on the shared limiter: Redis away means no sends, progress says why, then resume."""

from __future__ import annotations

import asyncio
import contextlib

from core.delivery.engine import DeliveryEngine, EngineSettings
from core.delivery.limiter import LIMITER_UNAVAILABLE
from core.statistics import campaign_progress
from storage.models import Campaign
from tests.delivery.conftest import add_subscribers, launch, wait_for_status
from tests.delivery.test_shared_limiter import (  # noqa: F401 (fixtures)
    make,
    prefix,
    proxy,
    redis_url,
)


async def progress_errors(core, campaign_id):
    async with core.uow() as uow:
        campaign = await uow.session.get(Campaign, campaign_id)
        progress = await campaign_progress(uow, campaign, 30)
    return {e.code: e for e in progress.errors}


async def until_reported(core, campaign_id) -> dict:
    """The progress errors once they name the limiter outage (bounded: a few flushes)."""
    errors: dict = {}
    for _ in range(400):
        errors = await progress_errors(core, campaign_id)
        if LIMITER_UNAVAILABLE in errors:
            break
        await asyncio.sleep(0.05)
    return errors


def quick_engine(core, bot, limiter) -> DeliveryEngine:
    settings = EngineSettings(flush_interval=0.05, poll_interval=0.05, heartbeat_interval=0.5)
    return DeliveryEngine(core, bot, limiter, settings)


async def test_engine_holds_sends_while_redis_is_away_and_says_so(
    core,
    actor,
    emu,
    bot,
    make,  # noqa: F811
    proxy,  # noqa: F811
):
    users = await emu.create_users(6)
    await add_subscribers(core, actor, [u.id for u in users])
    limiter = make(200, url=f"redis://127.0.0.1:{proxy.port}/15")
    await limiter.acquire(1)  # connected and working before the outage
    await limiter.settle()  # its answer marked too: the engine is the one to meet the outage
    await proxy.cut()
    engine = quick_engine(core, bot, limiter)
    campaign_id, _ = await launch(core, actor)
    await engine.start()
    try:
        errors = await until_reported(core, campaign_id)
        assert LIMITER_UNAVAILABLE in errors
        assert errors[LIMITER_UNAVAILABLE].message.startswith("rate limiter (Redis) unavailable")
        assert emu.stats()["totals"]["accepted"] == 0  # fail closed: nothing went out
        await proxy.start()
        campaign = await wait_for_status(core, campaign_id, {"completed", "failed"})
        assert campaign.status == "completed"
        for user in users:
            assert len([m for m in emu.messages(user.id) if not m.deleted]) == 1
        assert LIMITER_UNAVAILABLE not in await progress_errors(core, campaign_id)
    finally:
        await engine.stop()


async def test_a_run_started_while_redis_is_away_says_why_it_waits(
    core,
    actor,
    emu,
    bot,
    make,  # noqa: F811
    proxy,  # noqa: F811
):
    users = await emu.create_users(4)
    await add_subscribers(core, actor, [u.id for u in users])
    limiter = make(200, url=f"redis://127.0.0.1:{proxy.port}/15")
    await limiter.acquire(1)
    await limiter.settle()
    await proxy.cut()
    probe = asyncio.ensure_future(limiter.acquire(2))  # the limiter meets the outage first
    for _ in range(400):
        if limiter.unavailable:
            break
        await asyncio.sleep(0.01)
    assert limiter.unavailable
    engine = quick_engine(core, bot, limiter)
    campaign_id, _ = await launch(core, actor)
    await engine.start()
    try:
        errors = await until_reported(core, campaign_id)  # one claim, handed straight back
        assert LIMITER_UNAVAILABLE in errors
        assert emu.stats()["totals"]["accepted"] == 0
        await proxy.start()
        campaign = await wait_for_status(core, campaign_id, {"completed", "failed"})
        assert campaign.status == "completed"
        for user in users:
            assert len([m for m in emu.messages(user.id) if not m.deleted]) == 1
    finally:
        probe.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await probe
        await engine.stop()
