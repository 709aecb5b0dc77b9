"""The running system: database, core, Telegram side (real or emulated), sender, bot, REST.

Which of these parts one process runs is its ROLE (roles.py); `all` runs every part.
"""

from __future__ import annotations

import contextlib
import gc
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

from aiogram import Bot
from aiohttp import web

from api.app import create_api_app
from api.routes import system
from api_workers import serve_api_only, start_api_worker
from bot.dispatcher import register_commands
from bot.notifier import AdminNotifier
from bot.progress import ProgressReporter
from bot.requests import PacedReplies
from bot_wiring import WEBHOOK_PATH, fsm_storage, mount_webhook, set_webhook, shared_dispatcher
from core.auth import default_tenant, register_configured_key, rotate_startup_key
from core.bootstrap import build_core
from core.config import Settings
from core.delivery.engine import DeliveryEngine, EngineSettings
from core.delivery.limiter import Limiter, make_limiter
from core.invitations import LinkRevoker
from core.scheduling.bridge import connect_bot_events
from core.telegram_check import TelegramCheck
from core.telegram_session import make_bot
from core.webhooks.dispatcher import DispatcherSettings, WebhookDispatcher
from leader_polling import LeaderPoller
from roles import Parts, parts_of
from scheduler.leader import LeaderLock
from scheduler.service import SchedulerService
from storage.migrate import upgrade_to_head
from storage.signals import SignalListener

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

    from demo import Demo

__all__ = ["WEBHOOK_PATH", "Service", "serve_api_only"]


@dataclass
class Service:
    """Everything `python -m webhook_server` runs in one process (the parts of its ROLE)."""

    settings: Settings
    startup_key: str | None = None
    api_base: str = ""
    telegram_url: str = ""
    emulated: bool = False
    demo: Demo | None = None
    parts: Parts = field(init=False)
    engine: DeliveryEngine | None = None
    webhooks: WebhookDispatcher | None = None
    scheduler: SchedulerService | None = None
    poller: LeaderPoller | None = None
    signals: SignalListener | None = None
    _reply_bot: Bot = field(init=False)  # answers admins; also the v2 face's Telegram check
    _stack: contextlib.AsyncExitStack = field(default_factory=contextlib.AsyncExitStack)

    async def start(self) -> None:
        """Bring the role's parts up, in dependency order."""
        if self.settings.bot_token is None:
            from demo import with_demo_admin

            self.settings = with_demo_admin(self.settings)
        settings = self.settings
        self.parts = parts = parts_of(settings)
        self.core, database = build_core(settings)
        self._stack.push_async_callback(database.dispose)
        await upgrade_to_head(database)  # one process at a time (advisory lock)
        tenant_id, self.startup_key = await self._bootstrap_tenant()
        token, self.telegram_url = await self._telegram(tenant_id)
        # With REDIS_URL every process sending with the token shares one pace (Redis).
        limiter = make_limiter(settings.send_rate, settings.redis_url, token)
        self._stack.push_async_callback(limiter.close)
        # The process's one LISTEN connection (PostgreSQL) for the parts that hear other
        # processes' changes (today the scheduler); it starts once they have subscribed.
        if parts.scheduler and not settings.is_sqlite:
            self.signals = SignalListener(database)
        self._reply_bot = reply_bot = make_bot(token, self.telegram_url)
        reply_bot.session.middleware(PacedReplies(limiter))
        self._stack.push_async_callback(reply_bot.session.close)
        # Invitation links are revoked by the process where the cancel (or completion) commits.
        self._stack.push_async_callback(LinkRevoker(self.core, reply_bot).stop)
        if parts.sender:
            await self._start_sender(make_bot(token, self.telegram_url), limiter)
            # execution.finished is published (once) by the sender that finished the run:
            # its notifier tells the admins, whichever process that is.
            AdminNotifier(self.core, reply_bot)
        if parts.scheduler:
            await self._start_scheduler(database)
        if parts.bot:
            await self._start_bot(tenant_id, reply_bot)
        await self._start_http()
        if parts.bot and settings.webhook_url and parts.api:
            await set_webhook(settings, self.dispatcher, reply_bot)
        if self.signals is not None:
            await self.signals.start()
            self._stack.push_async_callback(self.signals.stop)
        if parts.poller:
            assert self.scheduler is not None
            self.poller = LeaderPoller(self.dispatcher, reply_bot, self.scheduler.leading)
            self.poller.start()
            self._stack.push_async_callback(self.poller.stop)
        # Start-up objects live for the whole process: keep them out of full collections,
        # whose 200-500 ms pauses otherwise land on bot replies during a broadcast.
        gc.freeze()

    async def _bootstrap_tenant(self) -> tuple[int, str | None]:
        async with self.core.uow() as uow:
            tenant = await default_tenant(uow)
            if not self.parts.api:
                return tenant.id, None  # keys are the API's business
            if self.settings.api_token is not None:
                secret = self.settings.api_token.get_secret_value()
                await register_configured_key(uow, tenant.id, secret)
                return tenant.id, None
            minted = await rotate_startup_key(uow, tenant.id)
            return tenant.id, minted.key

    async def _telegram(self, tenant_id: int) -> tuple[str, str]:
        if self.settings.bot_token is not None:
            return self.settings.bot_token.get_secret_value(), self.settings.telegram_api_url
        # Offline demo (ROLE=all only): the project's own Bot API emulator with simulated users.
        from demo import DEMO_TOKEN, create_demo_campaign, create_type_campaigns, start_demo

        self.demo = await start_demo(self.settings, self.core)
        self._stack.push_async_callback(self.demo.emulator.stop)
        self.demo.campaign_id = await create_demo_campaign(self.core, tenant_id)
        self.demo.type_campaigns = await create_type_campaigns(self.core, tenant_id)
        self.emulated = True
        self.emulator = self.demo.emulator
        return DEMO_TOKEN, self.emulator.base_url

    async def _start_sender(self, bot: Bot, limiter: Limiter) -> None:
        self._stack.push_async_callback(bot.session.close)
        self.engine = DeliveryEngine(
            self.core,
            bot,
            limiter,
            EngineSettings(
                single_process=self.settings.is_sqlite,
                worker_timeout=self.settings.worker_timeout_seconds,
            ),
        )
        await self.engine.start()
        self._stack.push_async_callback(self.engine.stop)
        # Outgoing webhooks: their own tasks, so a slow receiver never holds up sending.
        self.webhooks = WebhookDispatcher(
            self.core, DispatcherSettings(timeout=self.settings.webhook_timeout_seconds)
        )
        await self.webhooks.start()
        self._stack.push_async_callback(self.webhooks.stop)

    async def _start_scheduler(self, database: AsyncEngine) -> None:
        self.scheduler = SchedulerService(
            self.core,
            LeaderLock(database),
            grace=timedelta(seconds=self.settings.schedule_grace_seconds),
            signals=self.signals,
        )
        await self.scheduler.start()
        self._stack.push_async_callback(self.scheduler.stop)

    async def _start_bot(self, tenant_id: int, bot: Bot) -> None:
        """The handlers, where updates arrive: API processes (webhook) or the leader (polling)."""
        connect_bot_events(self.core)
        self.progress = ProgressReporter(self.core, bot)
        self._stack.push_async_callback(self.progress.stop)
        storage = fsm_storage(self.settings, self._stack)
        self.dispatcher = shared_dispatcher(self.core, tenant_id, storage, self.progress)
        self._bot = bot
        await register_commands(bot, tuple(self.settings.admin_ids))

    async def _start_http(self) -> None:
        """The REST API (api roles), or only /healthz and /docs (so every process can be probed)."""
        if self.parts.api:
            app = create_api_app(self.core, telegram_check=TelegramCheck(self._reply_bot))
            if self.parts.bot and self.settings.webhook_url:
                mount_webhook(app, self.settings, self.dispatcher, self._bot)
        else:
            app = create_api_app(self.core, routers=(system.router,))
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        self._stack.push_async_callback(runner.cleanup)
        workers = self.settings.http_workers if self.parts.api else 1
        host, port = self.settings.http_host, self.settings.http_port
        site = web.TCPSite(runner, host, port, reuse_port=True if workers > 1 else None)
        await site.start()
        self.api_base = f"http://{host}:{port}"
        for _ in range(workers - 1):
            start_api_worker(self.settings, self.core, self._stack)

    async def stop(self) -> None:
        """Tear down in reverse order."""
        await self._stack.aclose()
