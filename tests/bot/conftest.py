"""The bot under test: fed in-process (`harness`), or polling the emulator over HTTP (`running_bot`)."""

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
from emulator.inprocess import CallSignal, in_process_bot
from emulator.testing import EmulatorServer
from storage.models import Tenant
from tests.bot.harness import InProcessBot
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
    """People type faster in tests than in life: wide limits, so replies are never refused."""
    return EmulatorConfig(
        users=0, groups=0, supergroups=0, migrated_groups=0, global_rate=1000,
        private_chat_rate=1000,
    )  # fmt: skip


def reply_limiter(rate: float, private_interval: float) -> TokenLimiter:
    """The service's reply pacing, with a shorter per-chat gap for quick typists."""
    limiter = TokenLimiter(rate)
    limiter.chats.private_interval = private_interval
    return limiter


@pytest.fixture
async def harness(
    core: CoreContext, tenant: Tenant, emu: EmulatorServer
) -> AsyncIterator[InProcessBot]:
    """The service's dispatcher fed directly; its Bot API calls run on the emulator's state.

    Replies still pass the service's pacing middleware, at a rate that costs no time: pacing
    itself is tested in tests/delivery/, and over HTTP at 30/s by test_polling_e2e.py.
    """
    limiter = reply_limiter(1000, 0.001)
    signal = CallSignal()
    bot = in_process_bot(emu.state, signal=signal)
    bot.session.middleware(PacedReplies(limiter))
    progress = ProgressReporter(core, bot, interval=0.1)
    dispatcher = build_dispatcher(core, tenant.id, progress=progress)
    emu.bot_state(bot.token)  # the emulator knows the bot, as after polling's first call
    yield InProcessBot(emu, bot, dispatcher, limiter, signal)
    await progress.stop()
    await bot.session.close()


@pytest.fixture
async def running_bot(
    core: CoreContext,
    tenant: Tenant,
    emu: EmulatorServer,
) -> AsyncIterator[RunningBot]:
    """Start polling, as in production; stop and close everything afterwards (end-to-end tests)."""
    limiter = reply_limiter(30, 0.02)  # Telegram's rate per token
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
