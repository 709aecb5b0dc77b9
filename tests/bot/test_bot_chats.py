"""The bot remembers the groups and channels it administers (my_chat_member), for pickers."""

from __future__ import annotations

from sqlalchemy import select

from core.bot_chats import invitable_chats
from storage.models_chats import BotChat
from tests.bot.helpers import admin

INVITE = {"can_invite_users": True}


async def bot_chats(core) -> list[BotChat]:
    """Every remembered chat (a fresh session)."""
    async with core.uow() as uow:
        return list(await uow.session.scalars(select(BotChat).order_by(BotChat.chat_id)))


async def test_promotion_demotion_and_rights_are_remembered_per_chat(core, tenant, harness):
    emu, bot = harness.emu, harness.bot
    tulips = await emu.create_chat(type="supergroup", title="Tulip lovers", username="tulips")
    news = await emu.create_chat(type="channel", title="Garden news")
    await emu.set_bot_rights(tulips.id, bot.id, INVITE)
    await emu.set_bot_rights(news.id, bot.id, {"can_post_messages": True})
    assert await harness.deliver() == 2  # one my_chat_member update each

    rows = {row.chat_id: row for row in await bot_chats(core)}
    assert (rows[tulips.id].type, rows[tulips.id].title, rows[tulips.id].username) == (
        "supergroup", "Tulip lovers", "tulips",
    )  # fmt: skip
    assert (rows[tulips.id].status, rows[tulips.id].can_invite_users) == ("administrator", True)
    assert (rows[news.id].status, rows[news.id].can_invite_users) == ("administrator", False)
    assert all(row.tenant_id == tenant.id for row in rows.values())
    async with core.uow() as uow:
        assert [chat.title for chat in await invitable_chats(uow, tenant.id)] == ["Tulip lovers"]

    await emu.set_bot_rights(tulips.id, bot.id, None)  # demoted to a plain member
    await harness.deliver()
    [row] = [row for row in await bot_chats(core) if row.chat_id == tulips.id]
    assert (row.status, row.can_invite_users) == ("member", False)
    async with core.uow() as uow:
        assert await invitable_chats(uow, tenant.id) == []


async def test_a_private_chat_is_a_subscriber_not_a_bot_chat(core, harness):
    ada = await admin(harness)
    await ada.blocks_the_bot()
    assert await bot_chats(core) == []


async def test_the_invitation_picker_offers_the_chats_the_bot_may_invite_into(core, harness):
    emu, bot = harness.emu, harness.bot
    tulips = await emu.create_chat(type="supergroup", title="Tulip lovers")
    muted = await emu.create_chat(type="channel", title="Read only")
    await emu.set_bot_rights(tulips.id, bot.id, INVITE)
    await emu.set_bot_rights(muted.id, bot.id, {"can_post_messages": True})
    ada = await admin(harness)
    await ada.says("/new")
    await ada.says("Join the club")
    [picker] = await ada.presses("invitation")
    assert picker.text.startswith("Which group or channel are recipients invited to?")
    labels = [b["text"] for row in picker.reply_markup["inline_keyboard"] for b in row]
    assert labels == ["Tulip lovers", "« Back", "Cancel"]
