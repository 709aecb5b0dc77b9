"""Restarts: a dead sender's claims become `unknown`, paused stays paused, cancelled stays quiet."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from core.campaign_actions import cancel_campaign, pause_campaign, resume_campaign
from core.campaigns import get_campaign
from core.ids import format_id
from storage.models import Campaign, Delivery, Execution, Worker
from storage.repositories.deliveries import DeliveryRepository
from tests.delivery.conftest import (
    add_subscribers,
    execution,
    launch,
    ledger_counts,
    wait_for_status,
)

AUDIENCE = 20
DEAD = "dead-host-4242-abcdef"


async def dead_sender_claims(core, execution_id: int, how_many: int) -> None:
    """What a sender killed mid-batch leaves: claimed rows and a heartbeat gone stale."""
    long_ago = datetime.now(UTC) - timedelta(minutes=5)
    async with core.uow() as uow:
        uow.session.add(Worker(id=DEAD, started_at=long_ago, heartbeat_at=long_ago))
        claimed = await DeliveryRepository(uow.session).claim(
            execution_id, DEAD, how_many, datetime.now(UTC)
        )
        assert len(claimed) == how_many


async def act(core, actor, campaign_id: int, action) -> None:
    async with core.uow() as uow:
        campaign = await get_campaign(uow, actor, format_id("campaign", campaign_id), lock=True)
        await action(uow, actor, campaign)


def messages_of(emu, users, text: str) -> int:
    return sum(1 for u in users for m in emu.messages(u.id) if m.text == text)


async def run_sentinel(core, actor, emu, users) -> None:
    """Another campaign runs to completion: the restarted engine has been dispatching."""
    sentinel, _ = await launch(core, actor, name="Sentinel", messages=[{"content": "sentinel"}])
    await wait_for_status(core, sentinel, {"completed"})
    assert messages_of(emu, users, "sentinel") == AUDIENCE


def sender(make_engine, backend: str):
    """The engine a restarted process runs (PostgreSQL: several may run side by side)."""
    return make_engine(rate=100, single_process=backend == "sqlite")


async def test_a_dead_senders_claims_become_unknown_and_the_run_completes(
    core, actor, emu, make_engine, backend
):
    users = await emu.create_users(AUDIENCE)
    await add_subscribers(core, actor, [u.id for u in users])
    campaign_id, execution_id = await launch(core, actor, messages=[{"content": "run"}])
    await dead_sender_claims(core, execution_id, 5)

    await sender(make_engine, backend).start()
    campaign = await wait_for_status(core, campaign_id, {"completed"})

    ledger = await ledger_counts(core, execution_id)
    assert ledger == {"sent": 15, "unknown": 5}
    assert messages_of(emu, users, "run") == 15  # the unknown five were never resent
    done = await execution(core, execution_id)
    assert done.status == "completed"
    assert (done.sent_count, done.unknown_count) == (15, 5)
    assert campaign.sent_count == 15
    async with core.uow() as uow:
        codes = set(
            await uow.session.scalars(
                select(Delivery.error_code).where(Delivery.status == "unknown")
            )
        )
        assert codes == {"UNKNOWN"}
        workers = set(await uow.session.scalars(select(Worker.id)))
    assert DEAD not in workers  # its row goes with its claims, on either backend


async def test_a_paused_campaign_stays_paused_across_a_restart(
    core, actor, emu, make_engine, backend
):
    users = await emu.create_users(AUDIENCE)
    await add_subscribers(core, actor, [u.id for u in users])
    campaign_id, execution_id = await launch(core, actor, messages=[{"content": "paused"}])
    await dead_sender_claims(core, execution_id, 3)
    await act(core, actor, campaign_id, pause_campaign)

    await sender(make_engine, backend).start()
    await run_sentinel(core, actor, emu, users)
    assert messages_of(emu, users, "paused") == 0
    assert await ledger_counts(core, execution_id) == {"pending": 17, "unknown": 3}
    async with core.uow() as uow:
        assert (await uow.session.get(Campaign, campaign_id)).status == "paused"
        assert (await uow.session.get(Execution, execution_id)).status == "paused"

    await act(core, actor, campaign_id, resume_campaign)
    await wait_for_status(core, campaign_id, {"completed"})
    assert await ledger_counts(core, execution_id) == {"sent": 17, "unknown": 3}
    assert all(len([m for m in emu.messages(u.id) if m.text == "paused"]) <= 1 for u in users)


async def test_a_cancelled_campaign_never_sends_again_after_a_crash(
    core, actor, emu, make_engine, backend
):
    users = await emu.create_users(AUDIENCE)
    await add_subscribers(core, actor, [u.id for u in users])
    campaign_id, execution_id = await launch(core, actor, messages=[{"content": "cancelled"}])
    await dead_sender_claims(core, execution_id, 4)
    await act(core, actor, campaign_id, cancel_campaign)
    assert await ledger_counts(core, execution_id) == {"skipped": 16, "sending": 4}

    await sender(make_engine, backend).start()
    await run_sentinel(core, actor, emu, users)
    assert messages_of(emu, users, "cancelled") == 0
    assert await ledger_counts(core, execution_id) == {"skipped": 16, "unknown": 4}
    done = await execution(core, execution_id)
    assert done.status == "cancelled"
    assert (done.skipped_count, done.unknown_count, done.sent_count) == (16, 4, 0)
    async with core.uow() as uow:
        assert (await uow.session.get(Campaign, campaign_id)).status == "cancelled"


async def test_a_clean_stop_mid_send_leaves_nothing_claimed(core, actor, emu, make_engine):
    users = await emu.create_users(AUDIENCE)
    await add_subscribers(core, actor, [u.id for u in users])
    campaign_id, execution_id = await launch(core, actor, messages=[{"content": "stop"}])
    first = make_engine(rate=20)
    await first.start()
    await emu.wait_until(lambda: messages_of(emu, users, "stop") >= 3, within=10)
    await first.stop()
    stopped = await ledger_counts(core, execution_id)
    assert stopped["sending"] == 0  # every claim was written back or handed back
    assert stopped["sent"] == messages_of(emu, users, "stop")

    await make_engine(rate=100).start()
    await wait_for_status(core, campaign_id, {"completed"})
    assert await ledger_counts(core, execution_id) == {
        "sent": AUDIENCE
    }  # no unknown: none was lost
    assert all(len(emu.messages(u.id)) == 1 for u in users)
