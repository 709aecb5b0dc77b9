"""The emulator's whole in-memory state, shared by the Bot API, control API and tests."""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Coroutine
from typing import Any

import aiohttp
from aiohttp import web

from emulator.bots import BotState, parse_token
from emulator.callbacks import CallbackRegistry
from emulator.config import EmulatorConfig
from emulator.errors import ApiError, ControlError, unauthorized
from emulator.faults import FaultInjector
from emulator.files import FileRegistry
from emulator.invites import InviteRegistry
from emulator.polls_state import PollRegistry
from emulator.population import populate_chats, populate_users
from emulator.records import MessageStore
from emulator.world import World


class EmulatorState:
    """Virtual world, bots, messages, stats and faults of one emulator instance."""

    def __init__(self, config: EmulatorConfig | None = None) -> None:
        self.config = config or EmulatorConfig()
        self.rng = random.Random(self.config.seed)
        self.world = World()
        self.messages = MessageStore()
        self.files = FileRegistry()
        self.callbacks = CallbackRegistry()
        self.invites = InviteRegistry()
        self.polls = PollRegistry()
        self.faults = FaultInjector(self.config.seed)
        self.bots: dict[str, BotState] = {}
        self.http: aiohttp.ClientSession | None = None
        self.closing = asyncio.Event()
        self._tasks: set[asyncio.Task[Any]] = set()
        self.populate()

    def populate(self) -> None:
        """Create the configured users and chats."""
        config = self.config
        populate_users(
            self.world,
            config.users,
            blocked=config.blocked,
            deactivated=config.deactivated,
            id_start=config.user_id_start,
            rng=random.Random(config.seed),
        )
        populate_chats(
            self.world,
            groups=config.groups,
            supergroups=config.supergroups,
            migrated=config.migrated_groups,
            members=config.group_members,
            channels=config.channels,
        )

    def now(self) -> float:
        """Limiter time (monotonic by default, injectable)."""
        return self.config.clock()

    def unix_time(self) -> int:
        """Message dates: integer unix time."""
        return int(self.config.wall_clock())

    def bot(self, token: str) -> BotState:
        """The state of a bot token, created on first use; bad tokens raise 401."""
        if token in self.config.rejected_tokens:
            raise unauthorized()
        bot = self.bots.get(token)
        if bot is None:
            bot_id = parse_token(token)
            if bot_id is None:
                raise unauthorized()
            bot = self.bots[token] = BotState(
                token, bot_id, self.config.max_pending_updates, self.config.max_recorded_send_times
            )
        return bot

    def known_bot(self, token: str | None) -> BotState:
        """Resolve the bot a control action targets; with one known bot the token may be omitted."""
        if token:
            try:
                return self.bot(token)
            except ApiError:
                raise ControlError(400, "malformed or rejected bot token") from None
        if len(self.bots) == 1:
            return next(iter(self.bots.values()))
        raise ControlError(400, "token is required (zero or several bots are known)")

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        """Run a background coroutine that is cancelled when the emulator stops."""
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    @property
    def background_task_count(self) -> int:
        """How many background tasks (greetings, clicks, webhook pushers) are running."""
        return len(self._tasks)

    async def start(self) -> None:
        """Open the HTTP client used for webhook pushes."""
        self.closing.clear()
        if self.http is None:
            self.http = aiohttp.ClientSession()

    def begin_shutdown(self) -> None:
        """Wake long polls and hung requests so the server can stop promptly."""
        self.closing.set()
        for bot in self.bots.values():
            bot.updates.wake()

    async def close(self) -> None:
        """Cancel background work and close the HTTP client."""
        self.begin_shutdown()
        await self.cancel_tasks()
        if self.http is not None:
            await self.http.close()
            self.http = None

    async def cancel_tasks(self) -> None:
        """Cancel every background task and wait for them to finish."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        for bot in self.bots.values():
            bot.pusher = None

    def stats_report(
        self, token: str | None = None, *, include_times: bool = False
    ) -> dict[str, Any]:
        """Per-token stats snapshots (all tokens, or just `token`) plus totals."""
        config = self.config
        if token is None:
            bots = list(self.bots.values())
        else:
            bots = [self.bots[token]] if token in self.bots else []
        report = {
            bot.token: bot.stats.snapshot(
                config.paid_star_cost, config.rate_window, include_times=include_times
            )
            for bot in bots
        }
        totals = {
            key: sum(entry[key] for entry in report.values())
            for key in ("accepted", "rate_limited", "paid_messages", "stars_spent")
        }
        return {"bots": report, "totals": totals}

    async def reset(self, *, keep_users: bool = True) -> None:
        """Forget messages, stats, bots and callbacks; optionally empty the world too."""
        await self.cancel_tasks()
        self.bots.clear()
        self.messages.clear()
        self.callbacks.clear()
        self.invites.clear()
        self.polls.clear()
        self.faults.clear()
        if not keep_users:
            self.world = World()


# Where the aiohttp application keeps its EmulatorState.
STATE_KEY = web.AppKey("emulator_state", EmulatorState)
