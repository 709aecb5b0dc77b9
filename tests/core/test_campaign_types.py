"""Issue 11, item 2: every campaign type sends through a delivery policy from one registry."""

from __future__ import annotations

import pytest

from core.campaign_types.base import DeliveryPolicy, UnknownCampaignType, UpdateKind
from core.campaign_types.bot_api import BotApiPolicy
from core.campaign_types.message import MessagePolicy
from core.campaign_types.registry import policy_for
from core.context import Actor
from core.delivery.content import CampaignButton, Content
from core.models import CampaignType
from storage.models import Campaign
from tests.delivery.conftest import add_subscribers, execution, launch, wait_for_status

MESSAGE = policy_for(CampaignType.MESSAGE)
BUTTONS = [
    [{"text": "Site", "url": "https://example.com"}, {"text": "Yes", "callbackData": "yes"}],
    [{"text": "No", "callbackData": "no"}],
]


@pytest.fixture
def actor(tenant) -> Actor:
    return Actor(tenant.id, "api:test")


def content(**fields) -> Content:
    return MESSAGE.prepare([{"content": "Hi {first_name}", "parseMode": "HTML", **fields}], 0)


def callback_data(record) -> list[list[str | None]]:
    rows = record.reply_markup["inline_keyboard"]
    return [[button.get("callback_data") for button in row] for row in rows]


# The registry ------------------------------------------------------------------------------


def test_every_campaign_type_has_a_delivery_policy():
    for type_ in CampaignType:
        assert isinstance(policy_for(type_), DeliveryPolicy), type_


def test_each_type_has_its_own_policy_named_after_it():
    assert isinstance(MESSAGE, MessagePolicy)
    assert isinstance(policy_for(CampaignType.BOT_API), BotApiPolicy)
    policies = [policy_for(type_) for type_ in CampaignType]
    assert len({id(policy) for policy in policies}) == len(CampaignType)
    assert [policy.name for policy in policies] == [type_.value for type_ in CampaignType]


def test_a_type_as_stored_finds_its_policy():
    assert policy_for("invitation") is policy_for(CampaignType.INVITATION)


@pytest.mark.parametrize("stored", ["poll", "MESSAGE", ""])
def test_a_type_without_a_policy_is_a_clear_error(stored):
    with pytest.raises(UnknownCampaignType) as caught:
        policy_for(stored)
    assert caught.value.code == "UNKNOWN_CAMPAIGN_TYPE"
    assert caught.value.message == (
        f"No delivery policy for campaign type {stored!r}; known types: "
        "message, invitation, data_collection, engagement, custom, bot_api."
    )


def test_a_message_listens_to_button_clicks_and_counts_no_conversion():
    assert MESSAGE.listens_to == {UpdateKind.BUTTON_CLICK}
    assert MESSAGE.converts_on == frozenset()


# Preparing a message ---------------------------------------------------------------------


def test_preparing_picks_the_variation_over_the_original():
    messages = [
        {
            "content": "Original",
            "parseMode": "HTML",
            "media": {"type": "photo", "url": "https://cdn.example.com/a.jpg"},
            "variations": [{"content": "Variant B", "parseMode": None, "weight": 50}],
        }
    ]
    original, variant = MESSAGE.prepare(messages, 0), MESSAGE.prepare(messages, 1)
    assert (original.text, original.parse_mode, original.media_type) == (
        "Original",
        "HTML",
        "photo",
    )
    # A variation overrides what it sets; None and its weight leave the original's in place.
    assert (variant.text, variant.parse_mode, variant.media) == (
        "Variant B",
        "HTML",
        "https://cdn.example.com/a.jpg",
    )
    assert MESSAGE.prepare(messages, 7) == original  # an unknown variation sends the original


def test_preparing_says_whether_the_recipient_is_needed():
    assert content().personalised
    assert not MESSAGE.prepare([{"content": "Hello everyone"}], 0).personalised
    assert MESSAGE.prepare([], 0) == Content(None, None, None, None, ())


# Sending a message -------------------------------------------------------------------------


async def test_a_text_message_is_personalised_with_attributed_buttons(emu, bot):
    user = await emu.create_user(first_name="Ann")
    sent = await MESSAGE.send(
        bot, user.id, content(content="Hi <b>{first_name}</b>", buttons=BUTTONS),
        delivery_id=41, recipient={"first_name": "Ann & Co"}, paid=False,
    )  # fmt: skip
    record = emu.messages(user.id)[-1]
    assert sent.message_id == record.message_id
    assert (record.method, record.text, record.parse_mode) == ("sendMessage", "Hi Ann & Co", "HTML")
    assert not record.allow_paid_broadcast
    # Callback buttons say which delivery they belong to; the index counts every button.
    assert callback_data(record) == [
        [None, CampaignButton(delivery_id=41, index=1).pack()],
        [CampaignButton(delivery_id=41, index=2).pack()],
    ]
    assert record.reply_markup["inline_keyboard"][0][0]["url"] == "https://example.com"


@pytest.mark.parametrize("kind", ["photo", "video", "document", "animation"])
async def test_media_goes_with_its_own_method_and_the_text_as_caption(emu, bot, kind):
    user = await emu.create_user(first_name="Ann")
    media = {"type": kind, "url": f"https://cdn.example.com/file.{kind}"}
    await MESSAGE.send(
        bot, user.id, content(content="<i>{first_name}</i>", media=media, buttons=[[{"text": "Go", "callbackData": "go"}]]),
        delivery_id=7, recipient={"first_name": "Ann"}, paid=True,
    )  # fmt: skip
    record = emu.messages(user.id)[-1]
    assert record.method == f"send{kind.capitalize()}"
    assert (record.media_kind, record.caption, record.text) == (kind, "Ann", None)
    assert record.caption_entities[0]["type"] == "italic"
    assert record.allow_paid_broadcast
    assert callback_data(record) == [[CampaignButton(delivery_id=7, index=0).pack()]]


async def test_a_message_without_buttons_has_no_keyboard(emu, bot):
    user = await emu.create_user()
    await MESSAGE.send(bot, user.id, MESSAGE.prepare([{"content": "Plain"}], 0),
                       delivery_id=1, recipient=None, paid=False)  # fmt: skip
    record = emu.messages(user.id)[-1]
    assert (record.text, record.parse_mode, record.reply_markup) == ("Plain", None, None)


# The engine asks the campaign's policy -----------------------------------------------------


async def test_an_invitation_sends_the_messages_media_and_buttons_then_its_join_button(
    core, actor, emu, bot, make_engine
):
    users = await emu.create_users(3)
    await add_subscribers(core, actor, [u.id for u in users])
    media = {"type": "photo", "url": "https://cdn.example.com/invite.jpg"}
    message = {"content": "Join us, {first_name}", "media": media, "buttons": [BUTTONS[1]]}
    club = await emu.create_chat(type="supergroup", title="Club", bot_admin=[bot.id])
    settings = {"targetChat": club.id}
    campaign_id, _ = await launch(
        core, actor, type="invitation", messages=[message], settings=settings
    )
    await make_engine().start()
    assert (await wait_for_status(core, campaign_id, {"completed", "failed"})).status == "completed"
    for user in users:
        (record,) = emu.messages(user.id)
        assert (record.media_kind, record.caption) == ("photo", f"Join us, User{user.id}")
        own, join = record.reply_markup["inline_keyboard"]
        assert CampaignButton.unpack(own[0]["callback_data"]).index == 0
        assert join[0]["url"].startswith("https://t.me/+")


async def test_a_run_whose_type_has_no_policy_fails_and_others_still_send(
    core, actor, emu, make_engine
):
    user = await emu.create_user()
    await add_subscribers(core, actor, [user.id])
    stray_id, stray_run = await launch(core, actor, name="Stray")
    async with core.uow() as uow:  # a value no edge accepts, as an old row might hold
        campaign = await uow.session.get(Campaign, stray_id)
        assert campaign is not None
        campaign.type = "poll"
        await uow.commit()
    fine_id, _ = await launch(core, actor, name="Fine", messages=[{"content": "Still here"}])
    await make_engine().start()
    assert (await wait_for_status(core, stray_id, {"failed", "completed"})).status == "failed"
    assert (await execution(core, stray_run)).failure_reason.startswith(
        "No delivery policy for campaign type 'poll'"
    )
    assert (await wait_for_status(core, fine_id, {"completed", "failed"})).status == "completed"
    assert [m.text for m in emu.messages(user.id)] == ["Still here"]
