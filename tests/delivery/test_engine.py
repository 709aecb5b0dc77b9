"""The engine against the emulator: exactly once, Telegram's errors, pause/resume/cancel."""

from __future__ import annotations

import asyncio
from collections import Counter

from sqlalchemy import select

from core.campaign_actions import cancel_campaign, pause_campaign, resume_campaign
from core.campaigns import get_campaign
from core.delivery.results import RetryPolicy
from core.ids import format_id
from core.statistics import campaign_progress, campaign_statistics, parse_metrics
from core.subscribers import SubscriberInput, upsert_subscribers
from storage.models import CampaignEvent, Delivery, Subscriber
from tests.conftest import service_bot
from tests.delivery.conftest import (
    add_subscribers,
    execution,
    launch,
    wait_for_settled,
    wait_for_status,
)


async def ledger(core, execution_id):
    async with core.uow() as uow:
        rows = await uow.session.scalars(
            select(Delivery).where(Delivery.execution_id == execution_id)
        )
        return list(rows)


def received(emu, chat_id):
    return [m for m in emu.messages(chat_id) if not m.deleted]


async def test_everyone_reachable_gets_exactly_one_message(core, actor, emu, make_engine):
    users = await emu.create_users(20, blocked=2, deactivated=1)
    ids = [u.id for u in users]
    await add_subscribers(core, actor, [*ids, 999_999_001])  # the last chat does not exist
    campaign_id, execution_id = await launch(core, actor)
    await make_engine().start()
    campaign = await wait_for_status(core, campaign_id, {"completed", "failed"})
    assert campaign.status == "completed"

    rows = await ledger(core, execution_id)
    by_status = Counter(r.status for r in rows)
    assert by_status == {"sent": 17, "failed": 4}
    codes = Counter(r.error_code for r in rows if r.status == "failed")
    assert codes == {"USER_BLOCKED": 2, "USER_DEACTIVATED": 1, "CHAT_NOT_FOUND": 1}
    for user in users:
        got = received(emu, user.id)
        if user.blocked or user.deactivated:
            assert got == []
        else:
            assert len(got) == 1
            assert got[0].text == f"Hello User{user.id}"
            row = next(r for r in rows if r.chat_id == user.id)
            assert row.message_id == got[0].message_id and row.attempts == 1

    async with core.uow() as uow:
        statuses = dict(
            (await uow.session.execute(select(Subscriber.telegram_id, Subscriber.status))).all()
        )
        assert sorted(statuses.values()).count("blocked") == 2
        assert sorted(statuses.values()).count("deactivated") == 1
        events = [e.event for e in await uow.session.scalars(select(CampaignEvent))]
        assert events[-1] == "campaign.completed"
        campaign = await get_campaign(uow, actor, format_id("campaign", campaign_id))
        progress = await campaign_progress(uow, campaign, 30)
        stats = await campaign_statistics(uow, campaign, "all", parse_metrics("all"))
    assert progress.status == "completed" and progress.percentage == 100.0
    assert progress.counts["sent"] == 17 == emu.stats()["totals"]["accepted"]
    assert {e.code: e.count for e in progress.errors}["USER_BLOCKED"] == 2
    assert stats.overview is not None and stats.overview.messages_sent == 17
    assert stats.overview.failed == 4 and stats.overview.blocked == 3
    assert campaign.sent_count == 17 and campaign.failed_count == 4


async def test_blocked_subscribers_are_left_out_next_time(core, actor, emu, make_engine):
    users = await emu.create_users(5, blocked=2)
    await add_subscribers(core, actor, [u.id for u in users])
    first, _ = await launch(core, actor)
    await make_engine().start()
    await wait_for_status(core, first, {"completed"})
    _, second_execution = await launch(core, actor)
    assert (await execution(core, second_execution)).total == 3


async def test_429_storm_costs_no_attempts_and_loses_nothing(core, actor, emu, make_engine):
    await emu.update_config(global_rate=10)  # we send at 100/s: Telegram answers 429s
    users = await emu.create_users(30)
    await add_subscribers(core, actor, [u.id for u in users])
    campaign_id, execution_id = await launch(core, actor)
    await make_engine(rate=100).start()
    await wait_for_status(core, campaign_id, {"completed"}, within=30)
    rows = await ledger(core, execution_id)
    assert {r.status for r in rows} == {"sent"}
    assert {r.attempts for r in rows} == {1}
    assert emu.stats()["totals"]["rate_limited"] > 0
    assert all(len(received(emu, u.id)) == 1 for u in users)


async def test_server_errors_are_retried_with_backoff(core, actor, emu, make_engine):
    await emu.set_faults(error_rate=0.4, methods=["sendMessage"])
    users = await emu.create_users(20)
    await add_subscribers(core, actor, [u.id for u in users])
    campaign_id, execution_id = await launch(core, actor)
    engine = make_engine(retry=RetryPolicy(max_attempts=8, base_seconds=0.05, max_seconds=0.2))
    await engine.start()
    await wait_for_status(core, campaign_id, {"completed"}, within=30)
    rows = await ledger(core, execution_id)
    assert {r.status for r in rows} == {"sent"}
    assert max(r.attempts for r in rows) > 1
    assert all(len(received(emu, u.id)) == 1 for u in users)


async def test_retries_give_up_as_network_error(core, actor, emu, make_engine):
    await emu.set_faults(error_rate=1.0, methods=["sendMessage"])
    users = await emu.create_users(3)
    await add_subscribers(core, actor, [u.id for u in users])
    campaign_id, execution_id = await launch(core, actor)
    await make_engine(
        retry=RetryPolicy(max_attempts=3, base_seconds=0.02, max_seconds=0.05)
    ).start()
    await wait_for_status(core, campaign_id, {"completed"}, within=20)
    rows = await ledger(core, execution_id)
    assert {(r.status, r.error_code, r.attempts) for r in rows} == {("failed", "NETWORK_ERROR", 3)}


async def test_timeouts_become_unknown_and_are_not_resent(core, actor, emu, bot, make_engine):
    users = await emu.create_users(6)
    await add_subscribers(core, actor, [u.id for u in users])
    await emu.set_faults(hang_rate=1.0, hang_seconds=3, hang_after_processing=True)
    short = service_bot(emu, bot.token, timeout=0.5)
    try:
        campaign_id, execution_id = await launch(core, actor)
        await make_engine(bot=short).start()
        await wait_for_status(core, campaign_id, {"completed"}, within=20)
        rows = await ledger(core, execution_id)
        assert {(r.status, r.error_code) for r in rows} == {("unknown", "NETWORK_TIMEOUT")}
        await asyncio.sleep(0.5)
        assert all(len(received(emu, u.id)) <= 1 for u in users)
    finally:
        await short.session.close()


async def test_migrated_group_gets_it_at_its_new_id(core, actor, emu, make_engine):
    group = await emu.create_chat(type="group", title="Fans")
    moved = await emu.migrate_chat(group.id)
    new_id = moved["new_chat_id"]
    async with core.uow() as uow:
        await upsert_subscribers(uow, actor, [SubscriberInput(telegram_id=5, chat_id=group.id)])
    campaign_id, execution_id = await launch(core, actor)
    await make_engine().start()
    await wait_for_status(core, campaign_id, {"completed"})
    rows = await ledger(core, execution_id)
    assert [(r.status, r.chat_id) for r in rows] == [("sent", new_id)]
    assert len(received(emu, new_id)) == 1
    async with core.uow() as uow:
        assert (await uow.session.scalar(select(Subscriber.chat_id))) == new_id


async def test_pause_stops_at_once_and_resume_continues(core, actor, emu, make_engine):
    users = await emu.create_users(40)
    await add_subscribers(core, actor, [u.id for u in users])
    campaign_id, execution_id = await launch(core, actor)
    await make_engine(rate=20).start()
    await emu.wait_until(lambda: emu.stats()["totals"]["accepted"] >= 8, within=10)
    async with core.uow() as uow:
        campaign = await get_campaign(uow, actor, format_id("campaign", campaign_id), lock=True)
        await pause_campaign(uow, actor, campaign)
    at_pause = emu.stats()["totals"]["accepted"]
    await asyncio.sleep(1.0)
    after = emu.stats()["totals"]["accepted"]
    assert after - at_pause <= 2  # only sends already in flight may land
    async with core.uow() as uow:
        campaign = await get_campaign(uow, actor, format_id("campaign", campaign_id), lock=True)
        await resume_campaign(uow, actor, campaign)
    await wait_for_status(core, campaign_id, {"completed"}, within=20)
    rows = await ledger(core, execution_id)
    assert {r.status for r in rows} == {"sent"}
    assert all(len(received(emu, u.id)) == 1 for u in users)


async def test_cancel_skips_the_rest(core, actor, emu, make_engine):
    users = await emu.create_users(40)
    await add_subscribers(core, actor, [u.id for u in users])
    campaign_id, execution_id = await launch(core, actor)
    await make_engine(rate=20).start()
    await emu.wait_until(lambda: emu.stats()["totals"]["accepted"] >= 5, within=10)
    async with core.uow() as uow:
        campaign = await get_campaign(uow, actor, format_id("campaign", campaign_id), lock=True)
        await cancel_campaign(uow, actor, campaign)
    # Rows already claimed when the cancel commits are settled by the worker's write-back.
    statuses = await wait_for_settled(core, execution_id)
    sent_total = emu.stats()["totals"]["accepted"]
    assert statuses["sent"] == sent_total
    assert statuses["skipped"] == 40 - sent_total
    done = await execution(core, execution_id)
    assert done.status == "cancelled" and done.skipped_count == statuses["skipped"]


async def test_bad_token_fails_the_execution(core, actor, emu, make_engine):
    users = await emu.create_users(3)
    await add_subscribers(core, actor, [u.id for u in users])
    rejected = service_bot(emu, "42:AAbadbadbadbadbadbadbadbadbadbadbadbad")
    await emu.update_config(rejected_tokens=[rejected.token])
    try:
        campaign_id, execution_id = await launch(core, actor)
        await make_engine(bot=rejected).start()
        campaign = await wait_for_status(core, campaign_id, {"failed"})
        done = await execution(core, execution_id)
        assert done.status == "failed" and "token" in (done.failure_reason or "")
        assert campaign.status == "failed"
        for _ in range(100):  # sends already queued are handed back within a flush or two
            rows = await ledger(core, execution_id)
            if "sending" not in {r.status for r in rows}:
                break
            await asyncio.sleep(0.05)
        # Nobody was sent anything, and nothing is left looking unfinished.
        assert {(r.status, r.error_code) for r in rows} == {("skipped", "EXECUTION_FAILED")}
        assert emu.stats()["totals"]["accepted"] == 0
        done = await execution(core, execution_id)
        assert done.skipped_count == 3
    finally:
        await rejected.session.close()


async def test_unreachable_telegram_fails_after_the_bound(core, actor, emu, make_engine):
    users = await emu.create_users(3)
    await add_subscribers(core, actor, [u.id for u in users])
    await emu.stop()
    campaign_id, execution_id = await launch(core, actor)
    engine = make_engine(
        outage_bound=1.0, retry=RetryPolicy(max_attempts=100, base_seconds=0.05, max_seconds=0.1)
    )
    await engine.start()
    await wait_for_status(core, campaign_id, {"failed"}, within=15)
    done = await execution(core, execution_id)
    assert "unreachable" in (done.failure_reason or "")
