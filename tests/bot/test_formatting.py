"""Admin texts are HTML (bold arrives as entities, names stay literal); campaigns keep theirs."""

from __future__ import annotations

from sqlalchemy import select

from core.campaigns import create_campaign
from core.context import Actor
from core.delivery.content import Content, send_content
from core.models import CampaignCreate
from storage.models import Subscriber
from tests.bot.helpers import ADMIN, Person, admin, walk_wizard

TRICKY = "<b>Sale & more"  # would break (or bolden) an HTML message if inserted raw


def bold(record) -> list[str]:
    """The pieces of a recorded message that Telegram would show in bold."""
    text = record.text or record.caption or ""
    entities = record.entities or record.caption_entities or []
    return [text[e["offset"] : e["offset"] + e["length"]] for e in entities if e["type"] == "bold"]


async def test_menu_card_and_saved_message_are_html(core, harness, tenant):
    async with core.uow() as uow:
        await create_campaign(
            uow,
            Actor(tenant.id, "api:test"),
            CampaignCreate(name=TRICKY, messages=[{"content": "Hi"}]),
        )
    ada = await admin(harness)
    menu = ada.inbox()[-1]
    assert menu.parse_mode == "HTML" and bold(menu) == ["Admin menu"]
    assert "<b>" not in menu.text
    await ada.says("/campaigns")
    await ada.presses(TRICKY)
    card = ada.inbox()[-1]
    assert card.parse_mode == "HTML"
    assert card.text.startswith(f"{TRICKY} · camp_1")  # the name shown as typed, tags and all
    assert bold(card) == [TRICKY, "draft"]
    await walk_wizard(ada)
    await ada.presses("Confirm")
    saved = ada.inbox()[-1]
    assert saved.parse_mode == "HTML" and saved.text.startswith("Saved campaign camp_2")
    assert bold(saved) == ["Black Friday"]


async def test_a_tricky_name_survives_the_wizard_summary(harness):
    ada = await admin(harness)
    await ada.says("/new")
    await ada.says(TRICKY)
    await ada.presses("message")
    await ada.says("Hi")
    await ada.says("-")
    await ada.presses("Everyone", expect=2)
    await ada.presses("No")
    await ada.presses("Just save the draft", expect=2)
    summary = ada.inbox()[-1]
    assert bold(summary) == [TRICKY] and "Confirm?" in summary.text
    await ada.presses("Confirm")
    assert bold(ada.inbox()[-1]) == [TRICKY]


async def test_a_campaign_without_parse_mode_goes_out_as_plain_text(emu, bot):
    user = await emu.create_user(first_name="Ann")
    plain = Content(
        text="<b>not bold</b> & {first_name}", parse_mode=None, media_type=None, media=None,
        buttons=(),
    )  # fmt: skip
    await send_content(
        bot, user.id, plain, delivery_id=1, recipient={"first_name": "Ann"}, paid=False
    )
    record = emu.messages(user.id)[-1]
    assert (record.text, record.parse_mode, record.entities) == (
        "<b>not bold</b> & Ann",
        None,
        None,
    )
    html = Content(text="<b>bold</b>", parse_mode="HTML", media_type=None, media=None, buttons=())
    await send_content(bot, user.id, html, delivery_id=2, recipient=None, paid=False)
    assert bold(emu.messages(user.id)[-1]) == ["bold"]


async def test_an_admins_start_subscribes_and_shows_the_admin_menu(core, harness):
    await harness.emu.create_user(id=ADMIN, first_name="Ada")
    ada = Person(harness, ADMIN)
    welcome, menu = await ada.says("/start", expect=2)
    assert "You are subscribed" in welcome.text
    assert menu.text.startswith("Admin menu")
    labels = [b["text"] for row in menu.reply_markup["inline_keyboard"] for b in row]
    assert "➕ New campaign" in labels and "📣 Campaigns" in labels
    async with core.uow() as uow:
        status = await uow.session.scalar(
            select(Subscriber.status).where(Subscriber.telegram_id == ADMIN)
        )
    assert status == "active"  # admins are subscribers too


async def test_start_in_the_middle_of_the_wizard_shows_the_menu(core, harness):
    ada = await admin(harness)
    await ada.says("/new")
    welcome, menu = await ada.says("/start", expect=2)  # not taken as the campaign's name
    assert "Welcome back" in welcome.text and menu.text.startswith("Admin menu")
    await ada.says("/menu")  # the wizard was left behind: /menu is not a name either
    assert ada.last_text().startswith("Admin menu")
    await ada.presses("New campaign")
    assert "name" in ada.last_text()
