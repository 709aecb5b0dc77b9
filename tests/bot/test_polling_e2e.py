"""End to end: the service's Dispatcher long-polling the emulator over HTTP, as in production.

Every other bot test feeds updates in-process (tests/bot/harness.py); this one keeps the
whole path honest: getUpdates, concurrent handling, JSON bodies and reply pacing over HTTP.
"""

from __future__ import annotations

from tests.bot.helpers import ADMIN, Person, admin, campaigns, walk_wizard


async def test_a_wizard_walked_over_long_polling(core, running_bot):
    emu = running_bot.emu
    ada = await admin(emu)
    await walk_wizard(ada)
    assert ada.inbox()[-2].text == "Hello Ada, 30% off!"  # the preview
    await ada.presses("Confirm")
    assert "saved as draft" in ada.last_text()
    [saved] = await campaigns(core)
    assert (saved.name, saved.status, saved.created_by) == ("Black Friday", "draft", f"bot:{ADMIN}")
    user = await emu.create_user(first_name="Bo")
    [welcome] = await Person(emu, user.id).says("/start")
    assert "You are subscribed" in welcome.text
    assert emu.stats(running_bot.bot.token)["bots"][running_bot.bot.token]["requests"]["getUpdates"]
