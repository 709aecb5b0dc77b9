"""Embedding the emulator in tests: `async with EmulatorServer(config) as emu: ...`."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable
from types import TracebackType
from typing import Any, Self

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiohttp import web

from emulator import actions, invites, membership, polls_state
from emulator import rights as rights_module
from emulator.app import create_app
from emulator.bots import BotState
from emulator.callbacks import CallbackQueryRecord
from emulator.config import EmulatorConfig
from emulator.contacts import user_shares_contact
from emulator.records import OUTGOING, MessageRecord
from emulator.state import EmulatorState
from emulator.world import VirtualChat, VirtualUser
from emulator.world_admin import create_chat, create_user, create_users, update_user


def make_token(bot_id: int = 123456789) -> str:
    """A well-formed bot token for `bot_id` (random secret part)."""
    return f"{bot_id}:AA{secrets.token_urlsafe(26)[:33]}"


class FakeClock:
    """A manually advanced clock for deterministic limiter tests."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move time forward."""
        self.now += seconds


class EmulatorServer:
    """Runs the emulator on 127.0.0.1 with an OS-assigned port inside the running loop."""

    def __init__(
        self, config: EmulatorConfig | None = None, *, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.config = config or EmulatorConfig()
        self.state = EmulatorState(self.config)
        self.app = create_app(state=self.state)
        self.host = host
        self.port = port
        self.base_url = ""
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        """Bind and start serving."""
        runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port)
        await site.start()
        self._runner = runner
        self.port = runner.addresses[0][1]
        self.base_url = f"http://{self.host}:{self.port}"

    async def stop(self) -> None:
        """Stop serving and release every background task."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def api_server(self) -> TelegramAPIServer:
        """aiogram's server description pointing at this emulator."""
        return TelegramAPIServer.from_base(self.base_url)

    def make_bot(self, token: str | None = None, **session_options: Any) -> Bot:
        """An aiogram Bot talking to this emulator; the caller must close its session."""
        session = AiohttpSession(api=self.api_server, **session_options)
        return Bot(token or make_token(), session=session)

    def bot_state(self, token: str) -> BotState:
        """The emulator-side state of a token (created if unseen)."""
        return self.state.bot(token)

    # World setup -------------------------------------------------------------------------

    async def create_users(
        self, count: int, *, blocked: int = 0, deactivated: int = 0, id_start: int | None = None
    ) -> list[VirtualUser]:
        """Bulk-create users (same code as POST /_emulator/users with count)."""
        return create_users(
            self.state, count, blocked=blocked, deactivated=deactivated, id_start=id_start
        )

    async def create_user(self, **fields: Any) -> VirtualUser:
        """Create one user with explicit fields (id, first_name, blocked, deactivated, ...)."""
        return create_user(self.state, **fields)

    async def update_user(
        self, user_id: int, *, blocked: bool | None = None, deactivated: bool | None = None
    ) -> VirtualUser:
        """Silently change a user's default block flag or deactivation."""
        return update_user(self.state, user_id, blocked=blocked, deactivated=deactivated)

    async def create_chat(self, **fields: Any) -> VirtualChat:
        """Create a group/supergroup/channel (type, title, id, username, members)."""
        return create_chat(self.state, **fields)

    async def migrate_chat(self, chat_id: int, supergroup_id: int | None = None) -> dict[str, Any]:
        """Upgrade a basic group to a supergroup."""
        return membership.migrate_group(self.state, chat_id, supergroup_id)

    # Virtual user actions ----------------------------------------------------------------

    async def user_sends(
        self,
        user_id: int,
        text: str,
        *,
        token: str | None = None,
        chat_id: int | None = None,
        reply_to_message_id: int | None = None,
    ) -> dict[str, Any] | None:
        """A user writes text (commands get bot_command entities), maybe as a reply."""
        bot = self.state.known_bot(token)
        return actions.user_sends_text(self.state, bot, user_id, text, chat_id, reply_to_message_id)

    async def open_link(self, user_id: int, url: str) -> dict[str, Any]:
        """A user follows an invite link (joins, or files a join request)."""
        return invites.open_link(self.state, user_id, url)

    async def vote(
        self,
        user_id: int,
        message_id: int,
        option_ids: list[int],
        *,
        token: str | None = None,
        chat_id: int | None = None,
    ) -> dict[str, Any]:
        """A user answers a poll ([] retracts); returns the poll and the updates."""
        bot = self.state.known_bot(token)
        return polls_state.vote(self.state, bot, user_id, message_id, option_ids, chat_id)

    async def share_contact(
        self, user_id: int, *, token: str | None = None, phone_number: str | None = None
    ) -> dict[str, Any] | None:
        """A user sends their own contact to the bot."""
        bot = self.state.known_bot(token)
        return user_shares_contact(self.state, bot, user_id, phone_number=phone_number)

    async def set_bot_rights(
        self, chat_id: int, bot_id: int, rights: dict[str, bool] | None
    ) -> dict[str, Any] | None:
        """Promote a bot in a chat (rights) or demote it (None); returns my_chat_member."""
        chat = self.state.world.chats[chat_id]
        granted = None if rights is None else rights_module.normalize_rights(rights)
        return rights_module.set_bot_rights(self.state, chat, bot_id, granted)

    async def user_sends_photo(
        self,
        user_id: int,
        *,
        caption: str | None = None,
        token: str | None = None,
        chat_id: int | None = None,
    ) -> dict[str, Any] | None:
        """A user sends a photo; returns the update."""
        bot = self.state.known_bot(token)
        return actions.user_sends_photo(self.state, bot, user_id, caption, chat_id)

    async def press_button(
        self,
        user_id: int,
        message_id: int,
        *,
        token: str | None = None,
        chat_id: int | None = None,
        data: str | None = None,
        text: str | None = None,
        index: int | None = None,
    ) -> dict[str, Any]:
        """A user presses an inline button (callback_query update or recorded URL open)."""
        bot = self.state.known_bot(token)
        return actions.press_button(
            self.state,
            bot,
            user_id,
            message_id,
            chat_id=chat_id,
            data=data,
            text=text,
            index=index,
        )

    async def block(self, user_id: int, *, token: str | None = None) -> dict[str, Any] | None:
        """A user blocks the bot (my_chat_member update member → kicked)."""
        return membership.set_blocked(self.state, self.state.known_bot(token), user_id, True)

    async def unblock(self, user_id: int, *, token: str | None = None) -> dict[str, Any] | None:
        """A user unblocks the bot (my_chat_member update kicked → member)."""
        return membership.set_blocked(self.state, self.state.known_bot(token), user_id, False)

    async def join_chat(
        self, user_id: int, chat_id: int, *, token: str | None = None
    ) -> dict[str, Any] | None:
        """A user joins a group (chat_member update, if the bot allowed that type)."""
        return membership.join_chat(self.state, self.state.known_bot(token), user_id, chat_id)

    # Inspection and administration -------------------------------------------------------

    def messages(
        self, chat_id: int, *, direction: str | None = OUTGOING, bot_id: int | None = None
    ) -> list[MessageRecord]:
        """What a chat received from bots (direction="in" for user messages, None for all)."""
        return self.state.messages.messages(chat_id, direction, bot_id)

    def callback_queries(self, bot_id: int | None = None) -> list[CallbackQueryRecord]:
        """Button presses and how bots answered them."""
        return self.state.callbacks.for_bot(bot_id)

    def stats(self, token: str | None = None, *, include_times: bool = False) -> dict[str, Any]:
        """Same report as GET /_emulator/stats."""
        return self.state.stats_report(token, include_times=include_times)

    async def set_faults(self, **settings: Any) -> None:
        """Merge fault settings (error_rate, latency_ms, hang_rate, methods, ...)."""
        self.state.faults.configure(settings)

    async def clear_faults(self) -> None:
        """Stop injecting faults."""
        self.state.faults.clear()

    async def update_config(self, **changes: Any) -> None:
        """Change runtime-tunable settings (limits, rejected_tokens, click_rate, ...)."""
        self.state.config.update(changes)

    async def reset(self, *, keep_users: bool = True) -> None:
        """Forget messages, stats, bots and faults."""
        await self.state.reset(keep_users=keep_users)

    async def wait_until(
        self, predicate: Callable[[], object], within: float = 5.0, interval: float = 0.01
    ) -> None:
        """Poll `predicate` until it is truthy, or raise TimeoutError after `within` seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while not predicate():
            if loop.time() > deadline:
                raise TimeoutError("condition not reached in time")
            await asyncio.sleep(interval)
