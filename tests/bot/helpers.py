"""Driving the bot like a person: type, wait for the answer, press a button by its label."""

from __future__ import annotations

from emulator.records import MessageRecord
from emulator.testing import EmulatorServer


class Person:
    """A virtual user talking to the bot through the emulator."""

    def __init__(self, emu: EmulatorServer, user_id: int) -> None:
        self.emu = emu
        self.user_id = user_id

    def inbox(self) -> list[MessageRecord]:
        """Everything the bot sent this user, in order."""
        return [m for m in self.emu.messages(self.user_id) if not m.deleted]

    async def says(
        self, text: str, *, expect: int = 1, within: float = 10.0
    ) -> list[MessageRecord]:
        """Send text and wait for `expect` new bot messages; returns them."""
        before = len(self.inbox())
        await self.emu.user_sends(self.user_id, text)
        await self.emu.wait_until(lambda: len(self.inbox()) >= before + expect, within=within)
        return self.inbox()[before:]

    async def presses(
        self, label: str, *, expect: int = 1, within: float = 10.0
    ) -> list[MessageRecord]:
        """Press the newest button whose text contains `label`; wait for new messages."""
        for message in reversed(self.inbox()):
            rows = (message.reply_markup or {}).get("inline_keyboard", [])
            for row in rows:
                for button in row:
                    if label in button.get("text", ""):
                        return await self._press(message.message_id, button["text"], expect, within)
        raise AssertionError(f"no button {label!r} in {[m.text for m in self.inbox()[-3:]]}")

    async def _press(
        self, message_id: int, text: str, expect: int, within: float
    ) -> list[MessageRecord]:
        before = len(self.inbox())
        await self.emu.press_button(self.user_id, message_id, text=text)
        if expect:
            await self.emu.wait_until(lambda: len(self.inbox()) >= before + expect, within=within)
        return self.inbox()[before:]

    async def _press(
        self, message_id: int, text: str, expect: int, within: float
    ) -> list[MessageRecord]:
        before = len(self.inbox())
        await self.emu.press_button(self.user_id, message_id, text=text)
        if expect:
            await self.emu.wait_until(lambda: len(self.inbox()) >= before + expect, within=within)
        return self.inbox()[before:]

    def last_text(self) -> str:
        """The newest message's text or caption."""
        last = self.inbox()[-1]
        return last.text or last.caption or ""
