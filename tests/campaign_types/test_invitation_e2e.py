"""Invitation campaigns end to end: REST create (the bot's rights checked), the engine sends
personal links through the emulator, virtual users follow them, the bot counts the joins and
decides join requests, statistics show the join rate, a cancel revokes the links."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from aiogram import Bot, Dispatcher
from aiogram.types import Update
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from api.app import create_api_app
from bot.dispatcher import build_dispatcher
from core.campaigns import create_campaign, update_campaign
from core.chat_access import ChatAccessDenied, access_check
from core.context import Actor, CoreContext
from core.events import DomainEvent
from core.ids import format_id
from core.invitations import LinkRevoker
from core.models import CampaignCreate, CampaignUpdate
from core.telegram_check import TelegramCheck
from core.webhooks.urls import UrlPolicy
from emulator.testing import EmulatorServer
from emulator.world import VirtualChat
from storage.models import Campaign, Delivery, Interaction, Tenant
from tests.delivery.conftest import wait_for_status
from tests.webhooks.test_durability import outbox, register_endpoint

BOT_ID = 123456789  # the id of the `bot` fixture's token
MESSAGE = {"content": "Hi {first_name}, join our club"}


@pytest.fixture
async def tg_api(core: CoreContext, bot: Bot) -> AsyncIterator[TestClient]:
    """The REST API of a process with a bot (as runtime.py builds it)."""
    client = TestClient(TestServer(create_api_app(core, telegram_check=TelegramCheck(bot))))
    await client.start_server()
    yield client
    await client.close()


@pytest.fixture
def dispatcher(core: CoreContext, tenant: Tenant, emu: EmulatorServer, bot: Bot) -> Dispatcher:
    """The service's dispatcher; the bot asks for the updates its handlers take (as polling)."""
    built = build_dispatcher(core, tenant.id)
    emu.bot_state(bot.token).updates.set_allowed(built.resolve_used_update_types())
    return built


@pytest.fixture
async def club(emu: EmulatorServer) -> VirtualChat:
    """A supergroup the bot administers with the right to invite."""
    return await emu.create_chat(type="supergroup", title="Club", bot_admin=[BOT_ID])


@pytest.fixture
async def revoker(core: CoreContext, bot: Bot) -> AsyncIterator[LinkRevoker]:
    """The link revoker runtime.py wires, listening on the core's bus."""
    instance = LinkRevoker(core, bot, poll=0.05)
    yield instance
    await instance.stop()


async def deliver(emu: EmulatorServer, bot: Bot, dispatcher: Dispatcher) -> int:
    """Feed every update the emulator queued for the bot to the dispatcher, awaiting each."""
    queue = emu.bot_state(bot.token).updates
    handled = 0
    while batch := queue.peek(100):
        queue.confirm(batch[-1]["update_id"] + 1)
        for raw in batch:
            update = Update.model_validate(raw, context={"bot": bot})
            await dispatcher.feed_update(bot, update)
            handled += 1
    return handled


async def open_link(emu: EmulatorServer, user_id: int, url: str) -> tuple[int, dict[str, Any]]:
    """A virtual user follows a link, through the emulator's control route."""
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{emu.base_url}/_emulator/users/{user_id}/open_link", json={"url": url}) as r,
    ):
        return r.status, await r.json()


async def subscribe(api: TestClient, auth: dict[str, str], user_ids: list[int]) -> None:
    batch = [{"telegramId": uid, "firstName": f"U{uid}"} for uid in user_ids]
    response = await api.post("/api/v1/subscribers", json={"subscribers": batch}, headers=auth)
    assert response.status == 200, await response.text()


async def create(api: TestClient, auth: dict[str, str], **fields: Any) -> tuple[int, Any]:
    body = {"name": "Club", "type": "invitation", "messages": [MESSAGE], **fields}
    response = await api.post("/api/v1/campaigns", json=body, headers=auth)
    return response.status, await response.json()


async def launch(api, auth, core, make_engine, **fields) -> str:
    """Create an invitation, execute it, and let the engine send everything."""
    status, body = await create(api, auth, **fields)
    assert status == 201, body
    cid = body["data"]["id"]
    response = await api.post(f"/api/v1/campaigns/{cid}/execute", headers=auth)
    assert response.status == 200, await response.text()
    await make_engine().start()
    campaign = await wait_for_status(core, int(cid.split("_")[1]), {"completed", "failed"})
    assert campaign.status == "completed"
    return cid


async def links_by_user(core: CoreContext) -> dict[int, str]:
    """Each recipient's invite link, as the ledger stores it (deliveries.ref)."""
    async with core.uow() as uow:
        rows = (await uow.session.execute(select(Delivery.chat_id, Delivery.ref))).all()
    return {chat_id: ref for chat_id, ref in rows}


async def type_statistics(api: TestClient, auth: dict[str, str], cid: str) -> dict[str, Any]:
    response = await api.get(f"/api/v1/campaigns/{cid}/statistics?metrics=type", headers=auth)
    assert response.status == 200, await response.text()
    return (await response.json())["data"]["typeStatistics"]


async def conversions(core: CoreContext) -> list[Interaction]:
    async with core.uow() as uow:
        return list(
            (
                await uow.session.scalars(
                    select(Interaction).where(Interaction.type == "CONVERTED")
                )
            ).all()
        )


# Creating --------------------------------------------------------------------------------


async def test_creating_checks_the_bot_may_invite_into_the_target_chat(tg_api, auth, emu, club):
    status, body = await create(tg_api, auth, settings={"targetChat": club.id})
    assert status == 201, body
    got = await tg_api.get(f"/api/v1/campaigns/{body['data']['id']}", headers=auth)
    settings = (await got.json())["data"]["settings"]
    assert settings == {"targetChat": club.id, "approval": False, "buttonText": "Join"}

    elsewhere = await emu.create_chat(type="supergroup", title="Not ours")
    status, body = await create(tg_api, auth, settings={"targetChat": elsewhere.id})
    assert status == 400
    assert body["error"]["code"] == "BOT_NOT_CHAT_ADMIN"
    assert body["error"]["details"][0]["field"] == "settings.targetChat"
    status, body = await create(tg_api, auth, settings={"targetChat": "@no_such_chat"})
    assert (status, body["error"]["code"]) == (400, "TARGET_CHAT_NOT_FOUND")
    status, body = await create(tg_api, auth, settings={})
    assert (status, body["error"]["code"]) == (400, "VALIDATION_ERROR")
    listed = await (await tg_api.get("/api/v1/campaigns", headers=auth)).json()
    assert listed["data"]["pagination"]["total"] == 1  # nothing refused was stored


async def test_changing_the_target_chat_is_checked_too(tg_api, auth, emu, club):
    _, body = await create(tg_api, auth, settings={"targetChat": club.id})
    cid = body["data"]["id"]
    elsewhere = await emu.create_chat(type="channel", title="Not ours")
    response = await tg_api.patch(
        f"/api/v1/campaigns/{cid}", json={"settings": {"targetChat": elsewhere.id}}, headers=auth
    )
    assert response.status == 400
    assert (await response.json())["error"]["code"] == "BOT_NOT_CHAT_ADMIN"
    response = await tg_api.patch(
        f"/api/v1/campaigns/{cid}", json={"name": "Renamed"}, headers=auth
    )
    assert response.status == 200
    data = (await response.json())["data"]
    assert data["settings"]["targetChat"] == club.id and data["name"] == "Renamed"


async def test_a_process_without_a_bot_cannot_check_and_answers_502(api, auth, club):
    status, body = await create(api, auth, settings={"targetChat": club.id})
    assert (status, body["error"]["code"]) == (502, "TELEGRAM_UNAVAILABLE")
    listed = await (await api.get("/api/v1/campaigns", headers=auth)).json()
    assert listed["data"]["pagination"]["total"] == 0
    plain = await api.post(
        "/api/v1/campaigns", json={"name": "Plain", "messages": [MESSAGE]}, headers=auth
    )
    assert plain.status == 201  # other types need no Telegram check


# Sending and joining -------------------------------------------------------------------------


async def test_recipients_join_through_their_links_and_the_joins_are_counted(
    tg_api, auth, core, emu, bot, club, dispatcher, make_engine
):
    users = await emu.create_users(3)
    await subscribe(tg_api, auth, [u.id for u in users])
    ends = (datetime.now(UTC) + timedelta(days=3)).replace(microsecond=0)
    events: list[DomainEvent] = []

    async def heard(event: DomainEvent) -> None:
        events.append(event)

    core.bus.subscribe("interaction.converted", heard)
    cid = await launch(
        tg_api, auth, core, make_engine,
        settings={"targetChat": club.id, "linkName": "Spring"}, endDate=ends.isoformat(),
    )  # fmt: skip

    links = await links_by_user(core)
    assert set(links) == {u.id for u in users}
    for user in users:
        (record,) = emu.messages(user.id)
        assert record.text == f"Hi U{user.id}, join our club"
        assert record.reply_markup["inline_keyboard"] == [[{"text": "Join", "url": links[user.id]}]]
        link = emu.state.invites.find(links[user.id])
        assert link is not None and link.member_limit == 1
        assert link.name is not None and link.name.startswith("Spring d")
        assert link.expire_date == int(ends.timestamp())

    first, second, _ = users
    status, opened = await open_link(emu, first.id, links[first.id])
    assert (status, opened["kind"]) == (200, "joined")
    assert await deliver(emu, bot, dispatcher) == 1
    # A single-use link admits nobody else, and a second join is not counted twice.
    status, _ = await open_link(emu, second.id, links[first.id])
    assert status == 409

    (converted,) = await conversions(core)
    assert converted.details == {
        "button": 0, "telegramUserId": first.id, "byRecipient": True, "viaJoinRequest": False,
    }  # fmt: skip
    assert [e.subscriber_id for e in events] == [converted.subscriber_id]
    assert events[0].data["deliveryId"] == converted.delivery_id
    async with core.uow() as uow:
        campaign = await uow.session.get(Campaign, int(cid.split("_")[1]))
        assert campaign is not None and campaign.converted_count == 1
    assert await type_statistics(tg_api, auth, cid) == {
        "invited": 3, "joined": 1, "joinRate": 33.3,
    }  # fmt: skip


async def test_join_requests_of_recipients_are_approved_and_others_declined(
    tg_api, auth, core, emu, bot, club, dispatcher, make_engine
):
    users = await emu.create_users(2)
    await subscribe(tg_api, auth, [u.id for u in users])
    core.webhook_urls = UrlPolicy(allow_private=True)  # nothing is POSTed: no dispatcher runs
    await register_endpoint(core, "https://127.0.0.1/in", ["interaction.converted"])
    message = {
        **MESSAGE,
        "buttons": [
            [{"text": "Rules", "callbackData": "rules"}, {"text": "Site", "url": "https://a.b"}]
        ],
    }
    cid = await launch(
        tg_api, auth, core, make_engine,
        settings={"targetChat": club.id, "approval": True}, messages=[message],
    )  # fmt: skip
    links = await links_by_user(core)
    recipient, stranger = users
    link = emu.state.invites.find(links[recipient.id])
    assert link is not None and link.creates_join_request and link.member_limit is None

    # Someone the link was passed on to is declined.
    status, opened = await open_link(emu, stranger.id, links[recipient.id])
    assert (status, opened["kind"]) == (200, "join_request")
    await deliver(emu, bot, dispatcher)
    assert stranger.id not in club.members and not emu.state.invites.requests

    # The recipient is approved; the join that follows is the conversion.
    await open_link(emu, recipient.id, links[recipient.id])
    assert await deliver(emu, bot, dispatcher) == 2  # chat_join_request, then chat_member
    assert recipient.id in club.members
    (converted,) = await conversions(core)
    assert converted.details["viaJoinRequest"] is True
    assert converted.details["byRecipient"] is True
    # Webhooks hear of the join as of any conversion; its button is Join (after Rules, Site).
    (hook,) = await outbox(core)
    assert hook.event_type == "interaction.converted"
    interaction = hook.payload["data"]["interaction"]
    assert (interaction["button"], interaction["first"]) == (2, True)
    assert interaction["deliveryId"] == format_id("delivery", converted.delivery_id)
    stats = await type_statistics(tg_api, auth, cid)
    assert stats == {"invited": 2, "joined": 1, "joinRate": 50.0}


# Revoking ------------------------------------------------------------------------------------


async def test_cancelling_revokes_every_link_sent(
    tg_api, auth, core, emu, bot, club, revoker, make_engine
):
    users = await emu.create_users(30)
    await subscribe(tg_api, auth, [u.id for u in users])
    status, body = await create(tg_api, auth, settings={"targetChat": club.id})
    assert status == 201, body
    cid = body["data"]["id"]
    await tg_api.post(f"/api/v1/campaigns/{cid}/execute", headers=auth)
    await make_engine(rate=20).start()
    await emu.wait_until(lambda: len(emu.state.invites.for_chat(club.id)) >= 5, within=10)

    response = await tg_api.post(f"/api/v1/campaigns/{cid}/cancel", headers=auth)
    assert response.status == 200, await response.text()
    assert revoker.tasks  # started by the event, not awaited by the request
    await asyncio.gather(*revoker.tasks)

    created = emu.state.invites.for_chat(club.id)
    assert 5 <= len(created) < 30
    assert all(link.is_revoked for link in created)
    links = await links_by_user(core)
    sent = [url for url in links.values() if url]
    assert {link.url for link in created} == set(sent)
    user_id = next(uid for uid, url in links.items() if url)
    status, answer = await open_link(emu, user_id, links[user_id])
    assert status == 409 and "revoked" in answer["error"]


async def test_links_outlive_completion_until_the_end_date(
    tg_api, auth, core, clock, emu, club, revoker, make_engine
):
    users = await emu.create_users(2)
    await subscribe(tg_api, auth, [u.id for u in users])
    ends = datetime.now(UTC) + timedelta(hours=1)
    cid = await launch(
        tg_api, auth, core, make_engine,
        settings={"targetChat": club.id}, endDate=ends.isoformat(),
    )  # fmt: skip
    await asyncio.gather(*revoker.tasks)  # the completion was heard, and left the links live
    assert not any(link.is_revoked for link in emu.state.invites.for_chat(club.id))

    clock.set(ends + timedelta(minutes=1))
    assert await revoker.revoke(int(cid.split("_")[1]), "campaign.completed") == 2
    assert all(link.is_revoked for link in emu.state.invites.for_chat(club.id))


async def test_links_that_are_not_a_campaigns_are_left_alone(
    tg_api, auth, core, emu, bot, club, dispatcher, make_engine
):
    users = await emu.create_users(3)
    await subscribe(tg_api, auth, [u.id for u in users[:1]])
    await launch(tg_api, auth, core, make_engine, settings={"targetChat": club.id})
    by_hand = await bot.create_chat_invite_link(club.id, name="d1 by an admin")
    asking = await bot.create_chat_invite_link(club.id, creates_join_request=True)

    await open_link(emu, users[1].id, by_hand.invite_link)
    await open_link(emu, users[2].id, asking.invite_link)
    assert await deliver(emu, bot, dispatcher) == 2
    assert await conversions(core) == []
    assert (club.id, users[2].id) in emu.state.invites.requests  # left for an admin


async def test_a_join_through_a_link_the_ledger_lost_is_found_by_its_name(
    tg_api, auth, core, emu, bot, club, dispatcher, make_engine
):
    (user,) = await emu.create_users(1)
    await subscribe(tg_api, auth, [user.id])
    await launch(tg_api, auth, core, make_engine, settings={"targetChat": club.id})
    url = (await links_by_user(core))[user.id]
    async with core.uow() as uow:  # as if the write-back of the send had been lost
        delivery = (await uow.session.scalars(select(Delivery))).one()
        delivery.ref = None
        await uow.commit()

    await open_link(emu, user.id, url)
    await deliver(emu, bot, dispatcher)
    (converted,) = await conversions(core)
    assert converted.delivery_id == delivery.id


async def test_core_callers_pass_the_same_check(core, tenant, emu, bot, club):
    elsewhere = await emu.create_chat(type="supergroup", title="Not ours")
    actor = Actor(tenant.id, "bot:111")
    access = access_check(bot)
    body = {"name": "Club", "type": "invitation", "messages": [MESSAGE]}
    async with core.uow() as uow:
        data = CampaignCreate.model_validate({**body, "settings": {"targetChat": club.id}})
        campaign = await create_campaign(uow, actor, data, access=access)
        change = CampaignUpdate.model_validate({"settings": {"targetChat": elsewhere.id}})
        with pytest.raises(ChatAccessDenied) as caught:
            await update_campaign(uow, actor, campaign, change, access=access)
        assert caught.value.code == "BOT_NOT_CHAT_ADMIN"
        assert campaign.settings["targetChat"] == club.id  # refused before anything changed
