"""Fixtures for the emulator's own tests: an embedded emulator and real aiogram bots."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession

from emulator.config import EmulatorConfig
from emulator.testing import EmulatorServer, make_token

BOT_ID = 777000111


class FastCloseSession(AiohttpSession):
    """aiogram's session minus the 250 ms grace sleep on close, to keep the suite fast."""

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()


def small_config(**overrides: Any) -> EmulatorConfig:
    """A small deterministic world: 20 users, 2 blocked, 2 deactivated."""
    values: dict[str, Any] = {"users": 20, "blocked": 2, "deactivated": 2, "seed": 7}
    values.update(overrides)
    return EmulatorConfig(**values)


@pytest.fixture
def token() -> str:
    """A well-formed token for BOT_ID."""
    return make_token(BOT_ID)


@pytest.fixture
async def emulator_factory() -> AsyncIterator[Callable[..., Awaitable[EmulatorServer]]]:
    """Start emulators with custom config; all are stopped at teardown."""
    servers: list[EmulatorServer] = []

    async def start(config: EmulatorConfig | None = None, **overrides: Any) -> EmulatorServer:
        server = EmulatorServer(config or small_config(**overrides))
        await server.start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        await server.stop()


@pytest.fixture
async def emu(
    emulator_factory: Callable[..., Awaitable[EmulatorServer]],
) -> EmulatorServer:
    """An emulator with the small default world."""
    return await emulator_factory()


@pytest.fixture
async def bot_factory(emu: EmulatorServer) -> AsyncIterator[Callable[..., Bot]]:
    """Create aiogram bots talking to `emu`; sessions are closed at teardown."""
    bots: list[Bot] = []

    def create(
        token: str | None = None, server: EmulatorServer | None = None, **options: Any
    ) -> Bot:
        target = server or emu
        session = FastCloseSession(api=target.api_server, **options)
        bot = Bot(token or make_token(BOT_ID), session=session)
        bots.append(bot)
        return bot

    yield create
    for bot in bots:
        await bot.session.close()


@pytest.fixture
def bot(bot_factory: Callable[..., Bot], token: str) -> Bot:
    """A real aiogram Bot pointed at the embedded emulator."""
    return bot_factory(token)


def user_ids(emu: EmulatorServer, status: str = "active") -> list[int]:
    """Ids of users with a given status in the emulator's world."""
    return [u.id for u in emu.state.world.users.values() if u.status() == status]
