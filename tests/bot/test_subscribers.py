"""Subscribers talk to the bot: /start, deep links, /stop, blocking, button clicks."""

from __future__ import annotations

from sqlalchemy import select

from core.campaign_actions import start_execution
from core.campaigns import create_campaign
from core.context import Actor
from core.delivery.content import CampaignButton
from core.models import CampaignCreate, ExecuteOptions
from storage.models import Campaign, Delivery, Interaction, Subscriber
from tests.bot.helpers import Person


async def subscriber(core, telegram_id):
    async with core.uow() as uow:
        return await uow.session.scalar(
            select(Subscriber).where(Subscriber.telegram_id == telegram_id)
        )


async def status(core, telegram_id):
    return (await subscriber(core, telegram_id)).status


async def test_start_registers_with_deep_link_source(core, harness):
    user = await harness.emu.create_user(first_name="Ann", language_code="de")
    ann = Person(harness, user.id)
    await ann.says("/start spring_promo")
    row = await subscriber(core, user.id)
    assert (row.first_name, row.language_code, row.source, row.status) == (
        "Ann",
        "de",
        "spring_promo",
        "active",
    )
    assert len(harness.emu.messages(user.id)) == 1
    assert "subscribed" in harness.emu.messages(user.id)[0].text


async def test_stop_then_button_resubscribes(core, harness):
    emu = harness.emu
    user = await emu.create_user(first_name="Bo")
    bo = Person(harness, user.id)
    await bo.says("/start")
    assert await status(core, user.id) == "active"
    await bo.says("/stop")
    assert await status(core, user.id) == "unsubscribed"
    assert len(emu.messages(user.id)) == 2
    farewell = emu.messages(user.id)[1]
    assert "unsubscribed" in farewell.text and farewell.reply_markup
    await emu.press_button(user.id, farewell.message_id, index=0)
    await harness.deliver()
    assert await status(core, user.id) == "active"
    assert any(q.answered for q in emu.callback_queries())


async def test_blocking_and_unblocking_the_bot(core, harness):
    user = await harness.emu.create_user(first_name="Cy")
    cy = Person(harness, user.id)
    await cy.says("/start")
    assert await status(core, user.id) == "active"
    await cy.blocks_the_bot()
    assert await status(core, user.id) == "blocked"
    await cy.unblocks_the_bot()
    assert await status(core, user.id) == "active"


async def test_help(harness):
    user = await harness.emu.create_user(first_name="Di")
    await Person(harness, user.id).says("/help")
    assert len(harness.emu.messages(user.id)) == 1
    assert "/stop" in harness.emu.messages(user.id)[0].text


async def test_callback_button_counts_one_click_per_recipient(core, harness, tenant):
    emu = harness.emu
    user = await emu.create_user(first_name="Ed")
    await Person(harness, user.id).says("/start")
    assert await subscriber(core, user.id) is not None
    actor = Actor(tenant.id, "api:test")
    body = {
        "name": "Buttons",
        "messages": [{"content": "Pick", "buttons": [[{"text": "Yes", "callbackData": "yes"}]]}],
    }
    async with core.uow() as uow:
        campaign = await create_campaign(uow, actor, CampaignCreate.model_validate(body))
        await start_execution(uow, actor, campaign, ExecuteOptions())
        campaign_id = campaign.id
    async with core.uow() as uow:
        delivery = await uow.session.scalar(select(Delivery))
    # The engine is not running here: send the campaign message the way it would.
    markup = {"inline_keyboard": [[{"text": "Yes", "callback_data": CampaignButton(
        delivery_id=delivery.id, index=0).pack()}]]}  # fmt: skip
    sent = await harness.bot.send_message(user.id, "Pick", reply_markup=markup)
    for _ in range(2):
        await emu.press_button(user.id, sent.message_id, index=0)
    intruder = await emu.create_user(first_name="Eve")
    await emu.user_sends(intruder.id, "/start")
    await harness.deliver()
    assert sum(q.answered for q in emu.callback_queries()) == 2

    async def clicks():
        async with core.uow() as uow:
            rows = list(await uow.session.scalars(select(Interaction)))
            count = (await uow.session.get(Campaign, campaign_id)).clicked_count
        return rows, count

    rows, count = await clicks()
    assert len(rows) == 2 and {r.type for r in rows} == {"CLICKED"}
    assert count == 1
