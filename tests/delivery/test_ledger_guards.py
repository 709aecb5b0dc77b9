"""The ledger's own guards, without an engine: late write-backs, ended runs, test sends."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from core.campaign_actions import start_execution
from core.deliveries import resend_unknown
from core.delivery.finalize import fail_execution, finalize_if_done
from core.models import ExecuteOptions
from storage.models import Campaign, Execution
from storage.repositories.deliveries import DeliveryRepository, Settled
from storage.repositories.locks import lock_execution
from tests.delivery.conftest import add_subscribers, launch, ledger_counts

NOW = datetime(2026, 1, 5, 12, tzinfo=UTC)


async def claim(core, execution_id: int, worker: str, limit: int = 100):
    async with core.uow() as uow:
        return await DeliveryRepository(uow.session).claim(execution_id, worker, limit, NOW)


async def write(core, execution_id: int, worker: str, rows, status: str = "sent") -> Counter:
    """What the engine's flush does for one execution: results, counters, completion."""
    results = [
        {"id": r.id, "status": status, "chat_id": r.chat_id, "attempts": 1, "processed_at": NOW}
        for r in rows
    ]
    async with core.uow() as uow:
        execution = await lock_execution(uow.session, execution_id)
        ledger = DeliveryRepository(uow.session)
        written = await ledger.write_back(results, worker)
        campaign_id = None if execution.test_mode else execution.campaign_id
        await ledger.add_to_counters(execution_id, campaign_id, Settled.of(written.statuses))
        await finalize_if_done(uow, execution_id)
        return written.statuses


async def recover(core, execution_id: int, live: list[str]) -> int:
    async with core.uow() as uow:
        await lock_execution(uow.session, execution_id)
        count = await DeliveryRepository(uow.session).recover_orphans(execution_id, live, NOW)
        await DeliveryRepository(uow.session).add_to_counters(
            execution_id, None, Settled(unknown=count)
        )
        return count


async def test_a_late_write_back_never_overrides_a_recovered_row(core, actor):
    await add_subscribers(core, actor, [1, 2, 3])
    _, execution_id = await launch(core, actor)
    slow = await claim(core, execution_id, "slow-worker")
    assert await recover(core, execution_id, live=["someone-else"]) == 3  # taken for dead

    assert await write(core, execution_id, "slow-worker", slow) == Counter()
    assert await ledger_counts(core, execution_id) == {"unknown": 3}
    async with core.uow() as uow:
        execution = await uow.session.get(Execution, execution_id)
        campaign = await uow.session.get(Campaign, execution.campaign_id)
    assert (execution.sent_count, execution.unknown_count, campaign.sent_count) == (0, 3, 0)


async def test_nothing_is_claimed_from_a_paused_execution(core, actor):
    await add_subscribers(core, actor, [1, 2])
    _, execution_id = await launch(core, actor)
    async with core.uow() as uow:
        (await uow.session.get(Execution, execution_id)).status = "paused"
    assert await claim(core, execution_id, "w") == []
    assert await ledger_counts(core, execution_id) == {"pending": 2}


async def test_an_open_test_send_does_not_keep_the_campaign_active(core, actor):
    await add_subscribers(core, actor, [1, 2, 3])
    campaign_id, execution_id = await launch(core, actor)
    async with core.uow() as uow:
        campaign = await uow.session.get(Campaign, campaign_id)
        options = ExecuteOptions(test_mode=True, test_recipients=["1"])
        test_run = (await start_execution(uow, actor, campaign, options)).execution
    await write(core, execution_id, "w", await claim(core, execution_id, "w"))

    async with core.uow() as uow:
        assert (await uow.session.get(Campaign, campaign_id)).status == "completed"
        assert (await uow.session.get(Execution, test_run.id)).status == "running"


async def test_a_failed_run_skips_its_rest_and_a_resend_leaves_it_alone(core, actor):
    await add_subscribers(core, actor, [1, 2, 3, 4])
    campaign_id, first = await launch(core, actor)
    await claim(core, first, "dead", limit=1)
    await recover(core, first, live=[])
    async with core.uow() as uow:
        assert await fail_execution(uow, first, "the bot token was rejected")
    assert await ledger_counts(core, first) == {"unknown": 1, "skipped": 3}

    async with core.uow() as uow:  # the retry: a new execution that completes
        campaign = await uow.session.get(Campaign, campaign_id)
        second = (await start_execution(uow, actor, campaign, ExecuteOptions())).execution.id
    await claim(core, second, "dead", limit=1)
    await recover(core, second, live=[])
    await write(core, second, "w", await claim(core, second, "w"))
    async with core.uow() as uow:
        campaign = await uow.session.get(Campaign, campaign_id)
        assert campaign.status == "completed"
        assert await resend_unknown(uow, actor, campaign, None) == 1  # the retry's own only
    assert await ledger_counts(core, first) == {"unknown": 1, "skipped": 3}
    assert await ledger_counts(core, second) == {"sent": 3, "pending": 1}
    async with core.uow() as uow:
        done = await uow.session.get(Execution, first)
        assert (done.status, done.skipped_count, done.unknown_count) == ("failed", 3, 1)
