"""Subscribers talk to the bot: /start, deep links, /stop, blocking, button clicks."""

from __future__ import annotations

from sqlalchemy import select

from core.campaign_actions import start_execution
from core.campaigns import create_campaign
from core.context import Actor
from core.delivery.content import CampaignButton
from core.models import CampaignCreate, ExecuteOptions
from storage.models import Campaign, Delivery, Interaction, Subscriber


async def subscriber(core, telegram_id):
    async with core.uow() as uow:
        return await uow.session.scalar(
            select(Subscriber).where(Subscriber.telegram_id == telegram_id)
        )


async def wait_for(emu, predicate, within=10.0):
    await emu.wait_until(predicate, within=within)


async def eventually(core, telegram_id, check, emu):
    found = {}

    async def poll():
        found["row"] = await subscriber(core, telegram_id)
        return found["row"] is not None and check(found["row"])

    import asyncio

    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10
    while not await poll():
        assert loop.time() < deadline, f"subscriber {telegram_id} never matched"
        await asyncio.sleep(0.05)
    return found["row"]


async def test_start_registers_with_deep_link_source(core, running_bot):
    emu = running_bot.emu
    user = await emu.create_user(first_name="Ann", language_code="de")
    await emu.user_sends(user.id, "/start spring_promo")
    row = await eventually(core, user.id, lambda s: True, emu)
    assert (row.first_name, row.language_code, row.source, row.status) == (
        "Ann",
        "de",
        "spring_promo",
        "active",
    )
    await wait_for(emu, lambda: len(emu.messages(user.id)) == 1)
    assert "subscribed" in emu.messages(user.id)[0].text


async def test_stop_then_button_resubscribes(core, running_bot):
    emu = running_bot.emu
    user = await emu.create_user(first_name="Bo")
    await emu.user_sends(user.id, "/start")
    await eventually(core, user.id, lambda s: s.status == "active", emu)
    await emu.user_sends(user.id, "/stop")
    await eventually(core, user.id, lambda s: s.status == "unsubscribed", emu)
    await wait_for(emu, lambda: len(emu.messages(user.id)) == 2)
    farewell = emu.messages(user.id)[1]
    assert "unsubscribed" in farewell.text and farewell.reply_markup
    await emu.press_button(user.id, farewell.message_id, index=0)
    await eventually(core, user.id, lambda s: s.status == "active", emu)
    await wait_for(emu, lambda: any(q.answered for q in emu.callback_queries()))


async def test_blocking_and_unblocking_the_bot(core, running_bot):
    emu = running_bot.emu
    user = await emu.create_user(first_name="Cy")
    await emu.user_sends(user.id, "/start")
    await eventually(core, user.id, lambda s: s.status == "active", emu)
    await emu.block(user.id)
    await eventually(core, user.id, lambda s: s.status == "blocked", emu)
    await emu.unblock(user.id)
    await eventually(core, user.id, lambda s: s.status == "active", emu)


async def test_help(running_bot):
    emu = running_bot.emu
    user = await emu.create_user(first_name="Di")
    await emu.user_sends(user.id, "/help")
    await wait_for(emu, lambda: len(emu.messages(user.id)) == 1)
    assert "/stop" in emu.messages(user.id)[0].text


async def test_callback_button_counts_one_click_per_recipient(core, running_bot, tenant):
    emu = running_bot.emu
    user = await emu.create_user(first_name="Ed")
    await emu.user_sends(user.id, "/start")
    await eventually(core, user.id, lambda s: True, emu)
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
    sent = await running_bot.bot.send_message(user.id, "Pick", reply_markup=markup)
    for _ in range(2):
        await emu.press_button(user.id, sent.message_id, index=0)
    intruder = await emu.create_user(first_name="Eve")
    await emu.user_sends(intruder.id, "/start")
    await wait_for(emu, lambda: sum(q.answered for q in emu.callback_queries()) == 2)

    async def clicks():
        async with core.uow() as uow:
            rows = list(await uow.session.scalars(select(Interaction)))
            count = (await uow.session.get(Campaign, campaign_id)).clicked_count
        return rows, count

    rows, count = await clicks()
    assert len(rows) == 2 and {r.type for r in rows} == {"CLICKED"}
    assert count == 1
