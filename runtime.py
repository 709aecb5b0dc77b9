"""The running system: database, core, Telegram side (real or emulated), sender, bot, REST."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import multiprocessing
import signal
from dataclasses import dataclass, field
from datetime import timedelta
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING, Any

from aiogram import Bot, Dispatcher
from aiogram.fsm.storage.base import BaseStorage
from aiogram.fsm.storage.memory import MemoryStorage
from aiogram.fsm.storage.redis import RedisStorage
from aiohttp import web

from api.app import create_api_app
from bot.dispatcher import build_dispatcher, register_commands
from bot.notifier import AdminNotifier
from bot.progress import ProgressReporter
from bot.requests import PacedReplies
from core.auth import default_tenant, register_configured_key, rotate_startup_key
from core.bootstrap import build_core
from core.config import Settings
from core.delivery.engine import DeliveryEngine, EngineSettings
from core.delivery.pacing import TokenLimiter
from core.event_loop import run
from core.events import DomainEvent
from core.logging import configure_logging
from core.scheduling.bridge import connect_bot_events
from core.telegram_session import make_bot
from scheduler.leader import LeaderLock
from scheduler.service import SchedulerService
from storage.migrate import upgrade_to_head
from telegram_webhook import CheckedRequestHandler, drain

if TYPE_CHECKING:
    from demo import Demo

log = logging.getLogger("tg_campaigns")
WEBHOOK_PATH = "/telegram/webhook"


@dataclass
class Service:
    """Everything `python -m webhook_server` runs in one process."""

    settings: Settings
    startup_key: str | None = None
    api_base: str = ""
    telegram_url: str = ""
    emulated: bool = False
    demo: Demo | None = None
    _stack: contextlib.AsyncExitStack = field(default_factory=contextlib.AsyncExitStack)
    _tasks: list[asyncio.Task[Any]] = field(default_factory=list)

    async def start(self) -> None:
        """Bring every part up, in dependency order."""
        if self.settings.bot_token is None:
            from demo import with_demo_admin

            self.settings = with_demo_admin(self.settings)
        settings = self.settings
        self.core, engine = build_core(settings)
        self._stack.push_async_callback(engine.dispose)
        await upgrade_to_head(engine)
        tenant_id, self.startup_key = await self._bootstrap_tenant()
        token, self.telegram_url = await self._telegram(tenant_id)
        limiter = TokenLimiter(settings.send_rate)
        sender_bot = make_bot(token, self.telegram_url)
        reply_bot = make_bot(token, self.telegram_url)
        reply_bot.session.middleware(PacedReplies(limiter))
        for bot in (sender_bot, reply_bot):
            self._stack.push_async_callback(bot.session.close)
        self.engine = DeliveryEngine(
            self.core,
            sender_bot,
            limiter,
            EngineSettings(
                single_process=settings.is_sqlite,
                worker_timeout=settings.worker_timeout_seconds,
            ),
        )
        await self.engine.start()
        self._stack.push_async_callback(self.engine.stop)
        connect_bot_events(self.core)
        self.scheduler = SchedulerService(
            self.core,
            LeaderLock(engine),
            grace=timedelta(seconds=settings.schedule_grace_seconds),
        )
        await self.scheduler.start()
        self._stack.push_async_callback(self.scheduler.stop)
        self.progress = ProgressReporter(self.core, reply_bot)
        AdminNotifier(self.core, reply_bot)
        self._stack.push_async_callback(self.progress.stop)
        self.dispatcher = build_dispatcher(
            self.core, tenant_id, storage=await self._fsm_storage(), progress=self.progress
        )
        await register_commands(reply_bot, tuple(settings.admin_ids))
        app = create_api_app(self.core)
        if settings.webhook_url:
            self._mount_webhook(app, self.dispatcher, reply_bot)
        await self._start_http(app)
        if settings.webhook_url:
            await self._set_webhook(reply_bot)
        else:
            await self._start_polling(self.dispatcher, reply_bot)
        # Start-up objects live for the whole process: keep them out of full collections,
        # whose 200-500 ms pauses otherwise land on bot replies during a broadcast.
        gc.freeze()

    async def _fsm_storage(self) -> BaseStorage:
        """Conversation state: in memory, or in Redis (survives restarts, shared by processes)."""
        if not self.settings.redis_url:
            return MemoryStorage()
        storage = RedisStorage.from_url(self.settings.redis_url)
        self._stack.push_async_callback(storage.close)
        return storage

    async def _bootstrap_tenant(self) -> tuple[int, str | None]:
        async with self.core.uow() as uow:
            tenant = await default_tenant(uow)
            if self.settings.api_token is not None:
                secret = self.settings.api_token.get_secret_value()
                await register_configured_key(uow, tenant.id, secret)
                return tenant.id, None
            minted = await rotate_startup_key(uow, tenant.id)
            return tenant.id, minted.key

    async def _telegram(self, tenant_id: int) -> tuple[str, str]:
        if self.settings.bot_token is not None:
            return self.settings.bot_token.get_secret_value(), self.settings.telegram_api_url
        # Offline demo: the project's own Bot API emulator with simulated subscribers.
        from demo import DEMO_TOKEN, create_demo_campaign, start_demo

        self.demo = await start_demo(self.settings, self.core)
        self._stack.push_async_callback(self.demo.emulator.stop)
        self.demo.campaign_id = await create_demo_campaign(self.core, tenant_id)
        self.emulated = True
        self.emulator = self.demo.emulator
        return DEMO_TOKEN, self.emulator.base_url

    async def _start_polling(self, dispatcher: Dispatcher, bot: Bot) -> None:
        await bot.delete_webhook(drop_pending_updates=False)
        task = asyncio.create_task(dispatcher.start_polling(bot, handle_signals=False))
        self._tasks.append(task)

        async def stop_polling() -> None:
            with contextlib.suppress(RuntimeError):
                await dispatcher.stop_polling()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            # Polling hands each update to its own task and does not wait for them.
            await drain(dispatcher._handle_update_tasks)

        self._stack.push_async_callback(stop_polling)

    def _mount_webhook(self, app: web.Application, dispatcher: Dispatcher, bot: Bot) -> None:
        # 401 without the right secret header; 400 for a body that is not an Update.
        secret = self.settings.webhook_secret
        CheckedRequestHandler(
            dispatcher=dispatcher,
            bot=bot,
            secret_token=secret.get_secret_value() if secret else None,
        ).register(app, path=WEBHOOK_PATH)

    async def _set_webhook(self, bot: Bot) -> None:
        secret = self.settings.webhook_secret
        await bot.set_webhook(
            f"{self.settings.webhook_url}{WEBHOOK_PATH}",
            secret_token=secret.get_secret_value() if secret else None,
            allowed_updates=self.dispatcher.resolve_used_update_types(),
        )

    async def _start_http(self, app: web.Application) -> None:
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        self._stack.push_async_callback(runner.cleanup)
        workers = self.settings.http_workers
        host, port = self.settings.http_host, self.settings.http_port
        site = web.TCPSite(runner, host, port, reuse_port=True if workers > 1 else None)
        await site.start()
        self.api_base = f"http://{host}:{port}"
        for _ in range(workers - 1):
            self._start_api_worker()

    def _start_api_worker(self) -> None:
        """One more process serving the REST API on the same port (SO_REUSEPORT); its domain
        events come back here, where the bot, the scheduler and the sender listen."""
        context = multiprocessing.get_context("spawn")
        receiver, sender = context.Pipe(duplex=False)
        process = context.Process(
            target=serve_api_only, args=(self.settings, sender), name="api-worker", daemon=True
        )
        process.start()
        sender.close()
        loop = asyncio.get_running_loop()
        loop.add_reader(receiver.fileno(), self._relay_event, receiver)

        def stop() -> None:
            loop.remove_reader(receiver.fileno())
            process.terminate()
            process.join(10)
            receiver.close()

        self._stack.callback(stop)

    def _relay_event(self, receiver: Connection) -> None:
        try:
            event = receiver.recv()
        except (EOFError, OSError):
            asyncio.get_running_loop().remove_reader(receiver.fileno())
            log.error("an API worker process exited")
            return
        task = asyncio.create_task(self.core.bus.publish(event))
        self._tasks.append(task)
        task.add_done_callback(self._tasks.remove)

    async def stop(self) -> None:
        """Tear down in reverse order."""
        await self._stack.aclose()


def serve_api_only(settings: Settings, events: Connection) -> None:
    """Entry point of an extra HTTP worker process: the REST API and nothing else."""
    configure_logging(settings.log_level, settings.secrets())
    with contextlib.suppress(KeyboardInterrupt):
        run(_serve_api_only(settings, events))


async def _serve_api_only(settings: Settings, events: Connection) -> None:
    core, engine = build_core(settings)

    async def forward(event: DomainEvent) -> None:
        events.send(event)

    core.bus.subscribe("*", forward)
    runner = web.AppRunner(create_api_app(core), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, settings.http_host, settings.http_port, reuse_port=True)
    await site.start()
    gc.freeze()  # as in Service.start: no full-collection pauses over start-up objects
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()
        await engine.dispose()
        events.close()
