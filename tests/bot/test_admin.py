"""Admins steer campaigns by chatting: the wizard, the card, progress, statistics, access."""

from __future__ import annotations

from tests.bot.helpers import ADMIN, Person, admin, campaigns, walk_wizard


async def test_wizard_to_a_confirmed_draft(core, harness):
    ada = await admin(harness)
    await walk_wizard(ada)
    preview = ada.inbox()[-2]
    assert preview.text == "Hello Ada, 30% off!"
    assert preview.reply_markup["inline_keyboard"][0][0]["url"] == "https://example.com/sale"
    assert "Confirm?" in ada.last_text()
    await ada.presses("Confirm")
    assert "saved as draft" in ada.last_text()
    [saved] = await campaigns(core)  # stored before "Saved" was said (test_commit_order.py)
    assert (saved.name, saved.type, saved.status) == ("Black Friday", "message", "draft")
    assert saved.messages[0]["content"] == "Hello {first_name}, 30% off!"
    assert saved.messages[0]["buttons"][0][0]["url"] == "https://example.com/sale"
    assert saved.created_by == f"bot:{ADMIN}"


async def test_back_and_cancel(core, harness):
    ada = await admin(harness)
    await ada.says("/new")
    await ada.says("First name")
    await ada.presses("Back")
    assert "name" in ada.last_text()
    await ada.says("Second name")
    await ada.presses("Cancel")
    assert "Cancelled" in ada.last_text()
    await ada.says("/new")
    await ada.says("Third")
    await ada.says("/cancel")
    assert "Cancelled" in ada.last_text()
    assert await campaigns(core) == []


async def test_bad_input_is_explained_at_every_step(core, harness):
    ada = await admin(harness)
    await ada.says("/new")
    assert "1 to 200" in (await ada.says("x" * 201))[0].text
    await ada.says("Promo")
    assert "buttons above" in (await ada.says("message"))[0].text  # the type step wants a button
    await ada.presses("message")
    assert "at most" in (await ada.says("y" * 4097))[0].text.lower() or "4096" in ada.last_text()
    assert "unknown variables" in (await ada.says("Hi {nickname}"))[0].text
    await ada.says("Hi {first_name}")
    assert "Line 1" in (await ada.says("Shop now https://x"))[0].text
    await ada.says("-")
    await ada.presses("A tag")
    await ada.says("vip", expect=2)
    await ada.presses("Yes")
    await ada.says("Variant B text")
    assert "1 to 99" in (await ada.says("150"))[0].text
    await ada.says("30")
    await ada.presses("At a date and time")
    await ada.presses("Europe/London")
    assert "passed" in (await ada.says("2001-01-01 10:00"))[0].text
    assert "YYYY-MM-DD" in (await ada.says("tomorrow"))[0].text
    await ada.says("2099-06-01 10:00", expect=3)  # preview of both variants + summary
    assert "30% get variant B" in ada.last_text()
    await ada.presses("Confirm")
    [saved] = await campaigns(core)
    assert saved.status == "scheduled"
    assert saved.messages[0]["variations"][0]["weight"] == 30
    assert saved.scheduled_at.isoformat().startswith("2099-06-01T09:00")  # 10:00 BST


async def test_execute_from_the_card_with_live_progress_and_a_chart(core, harness, make_engine):
    emu = harness.emu
    ada = await admin(harness)
    users = await emu.create_users(6)
    for user in users:
        await Person(harness, user.id).says("/start")
    await walk_wizard(ada)
    await ada.presses("Confirm")
    sender = harness.another_bot()  # the same bot, without reply pacing
    await make_engine(rate=20, bot=sender).start()
    await ada.says("/campaigns")
    await ada.presses("Black Friday")
    assert "Status: draft" in ada.last_text()
    labels = [b["text"] for row in ada.inbox()[-1].reply_markup["inline_keyboard"] for b in row]
    assert "⏸ Pause" not in labels and "▶️ Execute" in labels  # only what the lifecycle allows
    await ada.presses("Execute", expect=2)  # the progress message and the refreshed card
    await harness.settle(
        lambda: all(len(Person(harness, u.id).inbox()) == 2 for u in users), within=15
    )
    progress = next(m for m in ada.inbox() if m.text and m.text.startswith("📤"))
    await harness.settle(lambda: "Completed" in (progress.text or ""), within=15)
    assert progress.edits, "the progress message was never edited"
    assert "Sent 7" in progress.text  # six subscribers and the admin
    await ada.presses("Statistics")
    await harness.settle(lambda: ada.inbox()[-1].media_kind == "photo", within=15)
    assert "Read: not available" in ada.inbox()[-1].caption
    await sender.session.close()


async def test_destructive_actions_ask_first(core, harness):
    ada = await admin(harness)
    await walk_wizard(ada)
    await ada.presses("Confirm")
    await ada.says("/campaigns")
    await ada.presses("Black Friday")
    await ada.presses("Delete")
    assert "Really delete" in ada.last_text()
    await ada.presses("Yes, delete")
    assert ada.last_text() == "camp_1 deleted."  # said only once the deletion is committed
    assert await campaigns(core) == []


async def test_non_admins_never_reach_admin_features(core, harness):
    await harness.emu.create_user(id=222, first_name="Mallory")
    mallory = Person(harness, 222)
    await mallory.says("/start")
    assert "admin" not in mallory.last_text().lower()
    for command in ("/new", "/menu", "/campaigns", "/schedules", "/audience"):
        await mallory.says(command, expect=0)  # handled (and ignored) once this returns
    assert all("New campaign" not in (m.text or "") for m in mallory.inbox())
    assert len(mallory.inbox()) == 1  # only the welcome
    # A forged admin button press is not handled either.
    from bot.callbacks import Menu

    await harness.bot.send_message(222, "x", reply_markup={"inline_keyboard": [[
        {"text": "forged", "callback_data": Menu(section="new").pack()}]]})  # fmt: skip
    await mallory.presses("forged", expect=0)
    assert len(mallory.inbox()) == 2 and await campaigns(core) == []
