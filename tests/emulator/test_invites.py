"""Bot rights in chats, invite links, join requests and users following links."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from tests.emulator.conftest import BOT_ID, user_ids
from tests.emulator.control_client import Control

MEMBERSHIP_UPDATES = ["message", "chat_member", "chat_join_request", "my_chat_member"]


@pytest.fixture
async def control(emu) -> AsyncIterator[Control]:
    async with aiohttp.ClientSession() as http:
        yield Control(http, emu.base_url)


def chat_of_type(emu, kind: str, *, public: bool = True):
    """The default world's chat of a type (public ones have a username)."""
    return next(
        c
        for c in emu.state.world.chats.values()
        if c.type == kind and bool(c.username) == public and c.migrated_to is None
    )


async def test_bots_administer_the_default_supergroup_and_channel(emu, bot):
    supergroup, channel = chat_of_type(emu, "supergroup"), chat_of_type(emu, "channel")
    group = chat_of_type(emu, "group", public=False)

    in_supergroup = await bot.get_chat_member(supergroup.id, BOT_ID)
    in_channel = await bot.get_chat_member(f"@{channel.username}", BOT_ID)
    in_group = await bot.get_chat_member(group.id, BOT_ID)
    admins = await bot.get_chat_administrators(supergroup.id)

    assert in_supergroup.status == "administrator" and in_supergroup.can_invite_users
    assert in_supergroup.can_pin_messages and in_supergroup.can_manage_chat
    assert in_channel.status == "administrator" and in_channel.can_post_messages
    assert in_group.status == "member"
    assert [a.user.id for a in admins] == [BOT_ID]
    with pytest.raises(TelegramBadRequest, match="not enough rights to manage chat invite links"):
        await bot.create_chat_invite_link(group.id)


async def test_control_api_promotes_and_demotes_bots(control, bot):
    await bot.get_updates(allowed_updates=MEMBERSHIP_UPDATES, timeout=0)
    created = await control(
        "POST", "/chats", {"type": "supergroup", "title": "VIP", "bot_admin": [BOT_ID]}
    )
    chat_id = created["chat"]["id"]
    assert created["chat"]["admins"][str(BOT_ID)]["can_invite_users"] is True
    assert (await bot.create_chat_invite_link(chat_id)).creator.id == BOT_ID

    demoted = await control("PATCH", f"/chats/{chat_id}/bots/{BOT_ID}", {"admin": False})
    update = demoted["update"]["my_chat_member"]
    assert update["old_chat_member"]["status"] == "administrator"
    assert update["new_chat_member"]["status"] == "member"
    with pytest.raises(TelegramBadRequest, match="not enough rights to manage chat invite links"):
        await bot.create_chat_invite_link(chat_id)

    rights = {"can_invite_users": True, "can_pin_messages": False}
    await control("PATCH", f"/chats/{chat_id}/bots/{BOT_ID}", {"rights": rights})
    member = await bot.get_chat_member(chat_id, BOT_ID)
    assert member.status == "administrator" and member.can_invite_users
    assert not member.can_pin_messages and not member.can_delete_messages
    (promoted_update,) = [u for u in await bot.get_updates() if u.my_chat_member][1:]
    assert promoted_update.my_chat_member.new_chat_member.status == "administrator"

    await control("POST", "/chats", {"type": "group", "admins": {"1": {"can_fly": True}}})
    assert control.status == 400


async def test_following_a_link_joins_and_reports_the_link(emu, bot, control):
    await bot.get_updates(allowed_updates=MEMBERSHIP_UPDATES, timeout=0)
    supergroup = chat_of_type(emu, "supergroup")
    first, second = [uid for uid in user_ids(emu) if uid not in supergroup.members][:2]
    link = await bot.create_chat_invite_link(supergroup.id, name="spring", member_limit=1)

    joined = await control("POST", f"/users/{first}/open_link", {"url": link.invite_link})
    refused = await control("POST", f"/users/{second}/open_link", {"url": link.invite_link})

    assert joined["kind"] == "joined" and joined["chat_id"] == supergroup.id
    assert first in supergroup.members and second not in supergroup.members
    assert control.status == 409 and "member limit" in refused["error"]
    (update,) = await bot.get_updates()
    event = update.chat_member
    assert event.chat.id == supergroup.id and event.from_user.id == first
    assert event.old_chat_member.status == "left" and event.new_chat_member.status == "member"
    assert event.invite_link.name == "spring" and event.invite_link.invite_link == link.invite_link
    listed = await control("GET", f"/chats/{supergroup.id}/invite_links")
    assert listed["invite_links"][0]["joined"] == 1

    before = await bot.get_chat_member_count(supergroup.id)
    left = await control("POST", f"/users/{first}/leave", {"chat_id": supergroup.id})
    assert left["updates"][0]["chat_member"]["new_chat_member"]["status"] == "left"
    assert await bot.get_chat_member_count(supergroup.id) == before - 1
    assert (await bot.get_chat_member(supergroup.id, first)).status == "left"


async def test_chat_member_updates_need_to_be_asked_for(emu, bot):
    supergroup = chat_of_type(emu, "supergroup")
    uid = next(u for u in user_ids(emu) if u not in supergroup.members)
    link = await bot.create_chat_invite_link(supergroup.id)

    result = await emu.open_link(uid, link.invite_link)

    assert result["updates"] == [] and uid in supergroup.members
    assert await bot.get_updates(timeout=0) == []


async def test_join_requests_wait_for_a_decision(emu, bot):
    await bot.get_updates(allowed_updates=MEMBERSHIP_UPDATES, timeout=0)
    channel = chat_of_type(emu, "channel")
    keen, doubtful = [uid for uid in user_ids(emu) if uid not in channel.members][:2]
    with pytest.raises(TelegramBadRequest, match="member limit can't be specified"):
        await bot.create_chat_invite_link(channel.id, member_limit=5, creates_join_request=True)
    link = await bot.create_chat_invite_link(channel.id, name="vip", creates_join_request=True)

    asked = await emu.open_link(keen, link.invite_link)
    await emu.open_link(doubtful, link.invite_link)
    (first, second) = await bot.get_updates()
    request = first.chat_join_request
    assert asked["kind"] == "join_request" and keen not in channel.members
    assert request.from_user.id == keen and request.user_chat_id == keen
    assert request.invite_link.name == "vip" and request.invite_link.creates_join_request

    assert await bot.approve_chat_join_request(channel.id, keen)
    assert await bot.decline_chat_join_request(channel.id, doubtful)
    (joined,) = await bot.get_updates(offset=second.update_id + 1)
    assert keen in channel.members and doubtful not in channel.members
    assert joined.chat_member.new_chat_member.user.id == keen
    assert joined.chat_member.via_join_request and joined.chat_member.invite_link.name == "vip"
    with pytest.raises(TelegramBadRequest, match="HIDE_REQUESTER_MISSING"):
        await bot.decline_chat_join_request(channel.id, doubtful)


async def test_revoked_expired_and_edited_links(emu, bot, control):
    supergroup = chat_of_type(emu, "supergroup")
    late, later = [u for u in user_ids(emu) if u not in supergroup.members][:2]
    now = emu.state.unix_time()
    old = await bot.create_chat_invite_link(supergroup.id, name="old")
    weekend = await bot.create_chat_invite_link(supergroup.id, expire_date=now + 60)

    revoked = await bot.revoke_chat_invite_link(supergroup.id, old.invite_link)
    gone = await control("POST", f"/users/{late}/open_link", {"url": old.invite_link})
    assert revoked.is_revoked and revoked.invite_link == old.invite_link
    assert control.status == 409 and "revoked" in gone["error"]

    emu.state.config.wall_clock = lambda: now + 61.0
    expired = await control("POST", f"/users/{late}/open_link", {"url": weekend.invite_link})
    assert control.status == 409 and "expired" in expired["error"]
    edited = await bot.edit_chat_invite_link(supergroup.id, weekend.invite_link, name="renamed")
    assert edited.name == "renamed" and edited.expire_date is None
    assert (await emu.open_link(later, weekend.invite_link))["kind"] == "joined"

    with pytest.raises(TelegramBadRequest, match="INVITE_HASH_EXPIRED"):
        await bot.edit_chat_invite_link(supergroup.id, "https://t.me/+nope")
    await control("POST", f"/users/{late}/open_link", {"url": "https://example.com/x"})
    assert control.status == 404


async def test_pressing_an_invite_button_joins_the_chat(emu, bot):
    supergroup = chat_of_type(emu, "supergroup")
    uid = next(u for u in user_ids(emu) if u not in supergroup.members)
    link = await bot.create_chat_invite_link(supergroup.id, name="button")
    markup = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="Join us", url=link.invite_link)]]
    )
    sent = await bot.send_message(uid, "Come to our group", reply_markup=markup)

    pressed = await emu.press_button(uid, sent.message_id, text="Join us")
    again = await emu.press_button(uid, sent.message_id, text="Join us")

    assert pressed["kind"] == "url" and pressed["invite"]["kind"] == "joined"
    assert uid in supergroup.members
    assert again["invite"]["kind"] == "refused" and "already a member" in again["invite"]["error"]
    assert len(emu.messages(uid)[0].url_opens) == 2
