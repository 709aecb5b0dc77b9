"""The invitation type's settings, link names and what one send does on the emulator."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from aiogram.exceptions import TelegramForbiddenError

from core.campaign_types.base import RunContext, UpdateKind
from core.campaign_types.invitation import (
    InvalidInvitation,
    InvitationPolicy,
    delivery_of_name,
    link_name,
)
from core.campaign_types.registry import policy_for
from core.campaign_types.settings import settings_for
from core.chat_access import ChatAccessDenied, ChatCheckUnavailable, check_invite_rights
from core.delivery.outcomes import TargetChatUnavailable
from core.errors import ValidationFailed

BOT_ID = 123456789  # the id of the `bot` fixture's token
POLICY = InvitationPolicy()
MESSAGE = {"content": "Come in, {first_name}", "buttons": [[{"text": "Rules"}]]}


def fields_of(caught: pytest.ExceptionInfo[ValidationFailed]) -> set[str]:
    return {detail["field"] for detail in caught.value.details}


# Settings ----------------------------------------------------------------------------------


def test_the_invitation_type_has_its_own_policy():
    assert policy_for("invitation") is not policy_for("message")
    assert policy_for("invitation").converts_on == {UpdateKind.CHAT_MEMBER}
    assert UpdateKind.JOIN_REQUEST in policy_for("invitation").listens_to


def test_settings_take_a_chat_and_fill_the_defaults():
    assert settings_for("invitation", {"targetChat": "@vip_club"}) == {
        "targetChat": "@vip_club",
        "approval": False,
        "buttonText": "Join",
    }
    stored = settings_for(
        "invitation",
        {"targetChat": "-1001234", "approval": True, "linkName": "Spring", "buttonText": "Enter"},
    )
    assert stored == {
        "targetChat": -1001234,
        "approval": True,
        "linkName": "Spring",
        "buttonText": "Enter",
    }


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({}, "settings.targetChat"),
        ({"targetChat": 42}, "settings.targetChat"),  # a user, not a group
        ({"targetChat": "vip club"}, "settings.targetChat"),
        ({"targetChat": -100, "linkName": "x" * 21}, "settings.linkName"),
        ({"targetChat": -100, "buttonText": ""}, "settings.buttonText"),
        ({"targetChat": -100, "memberLimit": 5}, "settings.memberLimit"),
    ],
)
def test_bad_settings_name_their_field(raw, field):
    with pytest.raises(ValidationFailed) as caught:
        settings_for("invitation", raw)
    assert field in fields_of(caught)


def test_a_link_is_named_after_its_delivery_within_telegrams_limit():
    assert link_name(None, 42) == "d42"
    assert link_name("Spring", 42) == "Spring d42"
    long = link_name("A" * 20, 12345678901234)
    assert len(long) <= 32 and long.endswith(" d12345678901234")
    assert delivery_of_name(long) == 12345678901234
    assert delivery_of_name("Spring d42") == 42
    assert delivery_of_name("added by hand") is None
    assert delivery_of_name(None) is None


def test_prepare_reads_the_settings_and_the_end_date():
    ends = datetime(2030, 1, 1, tzinfo=UTC)
    context = RunContext(campaign_id=1, settings={"targetChat": -100}, ends_at=ends)
    prepared = POLICY.prepare([MESSAGE], 0, context)
    assert prepared.settings is not None
    assert prepared.settings.target_chat == -100 and not prepared.settings.approval
    assert prepared.expire_date == int(ends.timestamp())
    assert prepared.personalised
    assert POLICY.prepare([MESSAGE], 0, RunContext(settings={"targetChat": -1})).expire_date is None


async def test_a_run_without_valid_settings_refuses_each_send_instead_of_crashing(bot):
    prepared = POLICY.prepare([MESSAGE], 0, RunContext(settings={}))
    assert prepared.settings is None
    with pytest.raises(InvalidInvitation, match="targetChat"):
        await POLICY.send(bot, 1, prepared, delivery_id=1, recipient=None, paid=False)


# One send ------------------------------------------------------------------------------------


@pytest.fixture
async def club(emu):
    """A supergroup the bot administers with the right to invite."""
    return await emu.create_chat(type="supergroup", title="Club", bot_admin=[BOT_ID])


async def test_a_recipient_gets_the_message_with_a_personal_single_use_link(emu, bot, club):
    (user,) = await emu.create_users(1)
    ends = datetime.now(UTC) + timedelta(days=2)
    context = RunContext(settings={"targetChat": club.id, "linkName": "Spring"}, ends_at=ends)
    sent = await POLICY.send(
        bot, user.id, POLICY.prepare([MESSAGE], 0, context), delivery_id=7,
        recipient={"first_name": "Ann"}, paid=False,
    )  # fmt: skip
    (link,) = emu.state.invites.for_chat(club.id)
    assert sent.ref == link.url
    assert (link.name, link.member_limit, link.creates_join_request) == ("Spring d7", 1, False)
    assert link.expire_date == int(ends.timestamp())
    (record,) = emu.messages(user.id)
    assert record.text == "Come in, Ann"
    rows = record.reply_markup["inline_keyboard"]
    # The message's own buttons first (their callback indices unchanged), then the link.
    assert rows[0][0]["text"] == "Rules" and rows[0][0]["callback_data"]
    assert rows[1] == [{"text": "Join", "url": link.url}]


async def test_with_approval_the_link_asks_to_join(emu, bot, club):
    (user,) = await emu.create_users(1)
    context = RunContext(settings={"targetChat": club.id, "approval": True, "buttonText": "Ask"})
    sent = await POLICY.send(
        bot, user.id, POLICY.prepare([MESSAGE], 0, context), delivery_id=8, recipient=None,
        paid=False,
    )  # fmt: skip
    (link,) = emu.state.invites.for_chat(club.id)
    assert sent.ref == link.url and link.creates_join_request and link.member_limit is None
    assert link.name == "d8"
    assert emu.messages(user.id)[0].reply_markup["inline_keyboard"][1][0]["text"] == "Ask"


async def test_a_refused_message_revokes_its_link_and_fails_like_any_send(emu, bot, club):
    (user,) = await emu.create_users(1, blocked=1)
    context = RunContext(settings={"targetChat": club.id})
    with pytest.raises(TelegramForbiddenError):
        await POLICY.send(
            bot, user.id, POLICY.prepare([MESSAGE], 0, context), delivery_id=9, recipient=None,
            paid=False,
        )  # fmt: skip
    (link,) = emu.state.invites.for_chat(club.id)
    assert link.is_revoked


async def test_without_the_right_to_invite_the_target_chat_is_unavailable(emu, bot):
    (user,) = await emu.create_users(1)
    plain = await emu.create_chat(type="supergroup", title="Plain")
    context = RunContext(settings={"targetChat": plain.id})
    with pytest.raises(TargetChatUnavailable, match="not enough rights"):
        await POLICY.send(
            bot, user.id, POLICY.prepare([MESSAGE], 0, context), delivery_id=10, recipient=None,
            paid=False,
        )  # fmt: skip
    assert emu.messages(user.id) == []


# Checking the target chat ------------------------------------------------------------------


async def test_the_check_finds_a_chat_the_bot_may_invite_into(emu, bot, club):
    public = await emu.create_chat(
        type="channel", title="News", username="news_room", bot_admin=[BOT_ID]
    )
    assert (await check_invite_rights(bot, club.id)).id == club.id
    found = await check_invite_rights(bot, "@news_room")
    assert (found.id, found.type, found.username) == (public.id, "channel", "news_room")


async def test_the_check_refuses_with_a_code_per_reason(emu, bot):
    member_only = await emu.create_chat(type="supergroup", title="Member")
    no_invite = await emu.create_chat(
        type="supergroup", title="Pins", admins={str(BOT_ID): {"can_pin_messages": True}}
    )
    (user,) = await emu.create_users(1)
    cases = {
        member_only.id: "BOT_NOT_CHAT_ADMIN",
        no_invite.id: "BOT_NOT_CHAT_ADMIN",
        -100999999: "TARGET_CHAT_NOT_FOUND",
        "@nobody_here": "TARGET_CHAT_NOT_FOUND",
        user.id: "TARGET_CHAT_NOT_GROUP",
    }
    for chat_ref, code in cases.items():
        with pytest.raises(ChatAccessDenied) as caught:
            await check_invite_rights(bot, chat_ref)
        assert caught.value.code == code, chat_ref
        assert caught.value.details[0]["field"] == "settings.targetChat"


async def test_without_a_bot_the_check_is_unavailable():
    with pytest.raises(ChatCheckUnavailable) as caught:
        await check_invite_rights(None, -100)
    assert caught.value.code == "TELEGRAM_UNAVAILABLE"
