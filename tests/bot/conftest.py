"""The real Dispatcher polling the emulator, as in production."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from aiogram import Bot, Dispatcher

from bot.dispatcher import build_dispatcher
from bot.progress import ProgressReporter
from bot.requests import PacedReplies
from core.context import CoreContext
from core.delivery.pacing import TokenLimiter
from emulator.config import EmulatorConfig
from emulator.testing import EmulatorServer
from storage.models import Tenant
from tests.conftest import service_bot


@dataclass
class RunningBot:
    """A polling dispatcher and the emulator it talks to."""

    emu: EmulatorServer
    bot: Bot
    dispatcher: Dispatcher
    limiter: TokenLimiter


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    """People type faster in tests than in life: allow quick replies in one chat."""
    return EmulatorConfig(users=0, groups=0, supergroups=0, migrated_groups=0, private_chat_rate=50)


@pytest.fixture
async def running_bot(
    core: CoreContext,
    tenant: Tenant,
    emu: EmulatorServer,
) -> AsyncIterator[RunningBot]:
    """Start polling; stop and close everything afterwards."""
    limiter = TokenLimiter(30)
    limiter.chats.private_interval = 0.02
    bot = service_bot(emu)
    bot.session.middleware(PacedReplies(limiter))
    progress = ProgressReporter(core, bot, interval=0.3)
    dispatcher = build_dispatcher(core, tenant.id, progress=progress)
    task = asyncio.create_task(
        dispatcher.start_polling(bot, handle_signals=False, polling_timeout=1)
    )
    # A generous bound: on a machine shared with another suite, start-up alone took over 10 s.
    await emu.wait_until(lambda: emu.state.bots or task.done(), within=60)
    if task.done():
        task.result()  # polling died before it asked Telegram anything: say why
    yield RunningBot(emu, bot, dispatcher, limiter)
    with contextlib.suppress(RuntimeError):
        await dispatcher.stop_polling()
    await task
    await progress.stop()
    await bot.session.close()
