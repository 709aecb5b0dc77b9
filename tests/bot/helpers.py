"""Driving the bot like a person; witnessing the database at the moment the bot speaks."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.methods import GetUpdates, TelegramMethod
from aiogram.methods.base import Response, TelegramType
from sqlalchemy import exc, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from emulator.records import MessageRecord
from emulator.testing import EmulatorServer
from storage.models import Campaign
from tests.bot.harness import InProcessBot


class Polling:
    """Drives a bot that polls the emulator over HTTP: replies can only be waited for."""

    def __init__(self, emu: EmulatorServer) -> None:
        self.emu = emu

    async def settle(self, predicate: Callable[[], object], within: float = 10.0) -> None:
        """Poll until `predicate` holds (the bot's handling is not observable from here)."""
        await self.emu.wait_until(predicate, within=within)


class Person:
    """A virtual user talking to the bot through the emulator.

    Given the in-process harness, each action's updates are handled (and awaited) before it
    returns; given an emulator a polling bot talks to, replies are waited for.
    """

    def __init__(self, bot: InProcessBot | EmulatorServer, user_id: int) -> None:
        self.driver = bot if isinstance(bot, InProcessBot) else Polling(bot)
        self.emu = self.driver.emu
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
        await self.driver.settle(lambda: len(self.inbox()) >= before + expect, within)
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
        await self.driver.settle(lambda: len(self.inbox()) >= before + expect, within)
        return self.inbox()[before:]

    async def blocks_the_bot(self) -> None:
        """Block the bot: a my_chat_member update (in-process: handled when this returns)."""
        await self.emu.block(self.user_id)
        await self.driver.settle(lambda: True)

    async def unblocks_the_bot(self) -> None:
        """Unblock the bot again."""
        await self.emu.unblock(self.user_id)
        await self.driver.settle(lambda: True)

    def last_text(self) -> str:
        """The newest message's text or caption."""
        last = self.inbox()[-1]
        return last.text or last.caption or ""


def said(method: TelegramMethod[Any]) -> str:
    """The words of a Bot API call (message text, caption or callback answer)."""
    return getattr(method, "text", None) or getattr(method, "caption", None) or ""


class Witness(BaseRequestMiddleware):
    """Runs `probe` as each call that speaks leaves, before Telegram (the emulator) sees it."""

    def __init__(self, probe: Callable[[], Awaitable[Any]]) -> None:
        self.probe = probe
        self.seen: list[tuple[TelegramMethod[Any], Any]] = []

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        if not isinstance(method, GetUpdates):  # polling (end-to-end tests) runs beside handlers
            self.seen.append((method, await self.probe()))
        return await make_request(bot, method)

    def when_said(self, words: str) -> list[Any]:
        """What the probe found each time the bot said something containing `words`."""
        return [found for method, found in self.seen if words in said(method)]


async def writable(
    engine: AsyncEngine, backend: str, table: str, row_id: int, *, patience: float = 3.0
) -> bool:
    """Whether another connection may change that row now, waiting up to `patience` seconds.

    Called while a handler waits for its own request to Telegram, so a lock that handler holds
    cannot go away meanwhile; the wait only lets a lock of the sender running beside it pass.
    """
    async with engine.connect() as conn:
        if backend == "sqlite":  # one writer at a time: any open write transaction blocks
            await conn.exec_driver_sql(f"PRAGMA busy_timeout = {int(patience * 1000)}")
        else:
            await conn.execute(text(f"SET LOCAL lock_timeout = '{int(patience * 1000)}ms'"))
        try:
            await conn.execute(text(f"UPDATE {table} SET id = id WHERE id = :id"), {"id": row_id})
        except exc.DBAPIError:
            return False
        finally:
            await conn.rollback()
            if backend == "sqlite":
                await conn.exec_driver_sql("PRAGMA busy_timeout = 30000")
        return True


ADMIN = 111  # tests/conftest.py configures ADMIN_IDS=(111,)


async def admin(bot: InProcessBot | EmulatorServer) -> Person:
    """Ada, the admin, after her /start."""
    person = Person(bot, ADMIN)
    await person.emu.create_user(id=ADMIN, first_name="Ada")
    await person.says("/start", expect=2)  # welcome + admin menu
    return person


async def campaigns(core: Any) -> list[Campaign]:
    """Every stored campaign, oldest first (read from a fresh session)."""
    async with core.uow() as uow:
        return list(await uow.session.scalars(select(Campaign).order_by(Campaign.id)))


async def walk_wizard(ada: Person, *, when: str = "Just save the draft") -> None:
    """Through the wizard to the Confirm button: Black Friday, to everyone."""
    await ada.says("/new")
    await ada.says("Black Friday")
    await ada.presses("message")
    await ada.says("Hello {first_name}, 30% off!")
    await ada.says("Shop now | https://example.com/sale")
    await ada.presses("Everyone", expect=2)  # the count, then the A/B question
    await ada.presses("No")
    await ada.presses(when, expect=2)  # the preview, then the summary with Confirm
