"""Invitation runs whose target chat goes wrong: the run fails once with the reason (not each
recipient as a bounce), a migrated target chat is not taken for the recipients' own, and a
createChatInviteLink lost on the network is retried (nothing was sent)."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime
from typing import Any

from aiogram import Bot
from aiogram.exceptions import TelegramMigrateToChat, TelegramNetworkError
from aiogram.methods import CreateChatInviteLink, SendMessage
from sqlalchemy import select, update

from core.campaign_types.invitation import InvitationPolicy
from core.delivery.content import SentMessage
from core.delivery.outcomes import TARGET_CHAT_UNAVAILABLE, Kind, Outcome, classify
from core.delivery.results import PAID_MESSAGE_STARS, Batch, RetryPolicy, apply_outcome
from core.lifecycle import DeliveryStatus
from storage.models import Campaign, Delivery, Execution, Subscriber
from storage.repositories.deliveries import ClaimedRow
from tests.campaign_types import test_invitation_e2e as e2e
from tests.campaign_types.test_invitation_e2e import create, subscribe
from tests.delivery.conftest import wait_for_status

# The e2e module's fixtures: a REST API with a bot, and a group the bot may invite into.
tg_api, club = e2e.tg_api, e2e.club

FAST_RETRY = RetryPolicy(base_seconds=0.01, max_seconds=0.05)


async def start(api, auth, **fields: Any) -> int:
    """Create an invitation (or, with `type`, another campaign) and execute it."""
    status, body = await create(api, auth, **fields)
    assert status == 201, body
    cid = body["data"]["id"]
    response = await api.post(f"/api/v1/campaigns/{cid}/execute", headers=auth)
    assert response.status == 200, await response.text()
    return int(cid.split("_")[1])


async def settled(core, campaign_id: int) -> list[Delivery]:
    """The campaign's deliveries once none is pending or being sent any more."""
    for _ in range(400):
        async with core.uow() as uow:
            rows = list(
                (
                    await uow.session.scalars(
                        select(Delivery)
                        .join(Execution, Execution.id == Delivery.execution_id)
                        .where(Execution.campaign_id == campaign_id)
                        .order_by(Delivery.id)
                    )
                ).all()
            )
        if rows and all(r.status not in ("pending", "sending") for r in rows):
            return rows
        await asyncio.sleep(0.05)
    raise TimeoutError("deliveries still unsettled")


async def execution_of(core, campaign_id: int) -> Execution:
    async with core.uow() as uow:
        return (
            await uow.session.scalars(select(Execution).where(Execution.campaign_id == campaign_id))
        ).one()


async def subscriber_chats(core) -> dict[int, tuple[int, str]]:
    async with core.uow() as uow:
        rows = (
            await uow.session.execute(
                select(Subscriber.telegram_id, Subscriber.chat_id, Subscriber.status)
            )
        ).all()
    return {telegram_id: (chat_id, status) for telegram_id, chat_id, status in rows}


async def test_a_target_chat_the_bot_cannot_use_fails_its_run_once_and_no_other(
    tg_api, auth, core, emu, club, make_engine
):
    users = await emu.create_users(3)
    await subscribe(tg_api, auth, [u.id for u in users])
    invitation = await start(tg_api, auth, settings={"targetChat": club.id})
    plain = await start(tg_api, auth, type="message")
    async with core.uow() as uow:  # the group went away after the campaign was checked
        await uow.session.execute(
            update(Campaign)
            .where(Campaign.id == invitation)
            .values(settings={"targetChat": -100555, "approval": False, "buttonText": "Join"})
        )
        await uow.commit()

    await make_engine().start()
    failed = await wait_for_status(core, invitation, {"completed", "failed"})
    assert failed.status == "failed"
    execution = await execution_of(core, invitation)
    assert execution.failure_reason is not None
    assert "targetChat -100555" in execution.failure_reason
    assert "chat not found" in execution.failure_reason
    rows = await settled(core, invitation)
    assert {(r.status, r.error_code) for r in rows} == {("skipped", "EXECUTION_FAILED")}
    assert failed.failed_count == 0  # no recipient bounced
    # The other campaign, running at the same time, is not the bad chat's victim.
    assert (await wait_for_status(core, plain, {"completed", "failed"})).status == "completed"
    assert all(status == "active" for _, status in (await subscriber_chats(core)).values())


async def test_a_migrated_target_chat_is_not_taken_for_the_recipients_chat(
    tg_api, auth, core, emu, bot, club, make_engine, monkeypatch
):
    users = await emu.create_users(2)
    await subscribe(tg_api, auth, [u.id for u in users])
    invitation = await start(tg_api, auth, settings={"targetChat": club.id})
    calls: list[int | str] = []

    async def migrated(self: Bot, chat_id: int | str, **_: Any) -> Any:
        calls.append(chat_id)
        raise TelegramMigrateToChat(
            method=CreateChatInviteLink(chat_id=chat_id),
            message="Bad Request: group chat was upgraded to a supergroup chat",
            migrate_to_chat_id=-1009999,
        )

    monkeypatch.setattr(Bot, "create_chat_invite_link", migrated)
    await make_engine().start()
    assert (await wait_for_status(core, invitation, {"completed", "failed"})).status == "failed"
    execution = await execution_of(core, invitation)
    assert "upgraded to the supergroup -1009999" in (execution.failure_reason or "")
    rows = await settled(core, invitation)
    assert {r.status for r in rows} == {"skipped"}
    assert {r.chat_id for r in rows} == {u.id for u in users}
    assert await subscriber_chats(core) == {u.id: (u.id, "active") for u in users}
    assert set(calls) == {club.id} and len(calls) <= 2  # no loop


async def test_a_lost_invite_link_call_is_retried_not_left_unknown(
    tg_api, auth, core, emu, bot, club, make_engine, monkeypatch
):
    (user,) = await emu.create_users(1)
    await subscribe(tg_api, auth, [user.id])
    invitation = await start(tg_api, auth, settings={"targetChat": club.id})
    real = Bot.create_chat_invite_link
    failures = [TelegramNetworkError(CreateChatInviteLink(chat_id=club.id), "Request timeout")]

    async def flaky(self: Bot, *args: Any, **kwargs: Any) -> Any:
        if failures:
            raise failures.pop()
        return await real(self, *args, **kwargs)

    monkeypatch.setattr(Bot, "create_chat_invite_link", flaky)
    await make_engine(retry=FAST_RETRY).start()
    assert (await wait_for_status(core, invitation, {"completed", "failed"})).status == "completed"
    (row,) = await settled(core, invitation)
    assert (row.status, row.attempts) == ("sent", 2)
    assert len(emu.messages(user.id)) == 1 and row.ref is not None


async def test_a_policy_ref_too_long_for_the_ledger_is_dropped_and_the_send_kept(
    tg_api, auth, core, emu, club, make_engine, monkeypatch
):
    users = await emu.create_users(2)
    await subscribe(tg_api, auth, [u.id for u in users])
    invitation = await start(tg_api, auth, settings={"targetChat": club.id})
    real = InvitationPolicy.send

    async def long_ref(self: InvitationPolicy, *args: Any, **kwargs: Any) -> SentMessage:
        sent = await real(self, *args, **kwargs)
        return SentMessage(message_id=sent.message_id, ref="x" * 129)

    monkeypatch.setattr(InvitationPolicy, "send", long_ref)
    await make_engine().start()
    await wait_for_status(core, invitation, {"completed", "failed"})
    rows = await settled(core, invitation)  # the write-backs went through
    # The messages went out, so the rows are sent; only the too-long refs were not kept.
    assert {(r.status, r.error_code, r.ref) for r in rows} == {("sent", None, None)}


# The engine's reading of a migration ----------------------------------------------------------


def migration(chat_id: int) -> TelegramMigrateToChat:
    return TelegramMigrateToChat(
        method=SendMessage(chat_id=chat_id, text="hi"),
        message="Bad Request: group chat was upgraded to a supergroup chat",
        migrate_to_chat_id=-1002,
    )


def test_only_the_recipients_own_group_migrating_moves_the_recipient():
    assert classify(migration(-5), chat_id=-5).kind is Kind.MIGRATED
    # copyMessage to a person from a migrated group: people's chats never migrate.
    about_source = classify(migration(42), chat_id=42)
    assert (about_source.kind, about_source.code) == (Kind.FATAL, TARGET_CHAT_UNAVAILABLE)
    assert classify(migration(-7), chat_id=-5).kind is Kind.FATAL


def test_a_second_migration_of_one_row_fails_it():
    claimed = ClaimedRow(id=1, execution_id=1, subscriber_id=9, chat_id=-5, variation=0, attempts=0)
    batch = Batch()
    again = Outcome(Kind.MIGRATED, code="CHAT_MIGRATED", migrate_to=-3)
    now = datetime.now(UTC)
    apply_outcome(batch, claimed, again, now, RetryPolicy(), random.Random(1),
                  chat_id=-2, paid=True)  # fmt: skip
    (row,) = batch.rows
    assert (row["status"], row["error_code"], row["chat_id"]) == (
        DeliveryStatus.FAILED, "CHAT_MIGRATED", -2,
    )  # fmt: skip
    assert row["cost"] != PAID_MESSAGE_STARS and row["processed_at"] == now
    assert batch.moved_chats == [(9, -2)]  # the first, real migration is kept
