"""The real Dispatcher polling the emulator, as in production."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from aiogram import Bot, Dispatcher

from bot.dispatcher import build_dispatcher
from bot.requests import PacedReplies
from core.context import CoreContext
from core.delivery.pacing import TokenLimiter
from emulator.testing import EmulatorServer
from storage.models import Tenant
from tests.delivery.conftest import emu  # noqa: F401  (fixture re-export)


@dataclass
class RunningBot:
    """A polling dispatcher and the emulator it talks to."""

    emu: EmulatorServer
    bot: Bot
    dispatcher: Dispatcher
    limiter: TokenLimiter


@pytest.fixture
async def running_bot(
    core: CoreContext,
    tenant: Tenant,
    emu: EmulatorServer,  # noqa: F811
) -> AsyncIterator[RunningBot]:
    """Start polling; stop and close everything afterwards."""
    limiter = TokenLimiter(30)
    bot = emu.make_bot(timeout=5)
    bot.session.middleware(PacedReplies(limiter))
    dispatcher = build_dispatcher(core, tenant.id)
    task = asyncio.create_task(
        dispatcher.start_polling(bot, handle_signals=False, polling_timeout=1)
    )
    await emu.wait_until(lambda: emu.state.bots, within=10)
    yield RunningBot(emu, bot, dispatcher, limiter)
    with contextlib.suppress(RuntimeError):
        await dispatcher.stop_polling()
    await task
    await bot.session.close()
