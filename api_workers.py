"""HTTP_WORKERS: extra processes serving the REST API on the same port (SO_REUSEPORT)."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import multiprocessing
import signal
from multiprocessing.connection import Connection
from typing import Any

from aiohttp import web

from api.app import create_api_app
from core.bootstrap import build_core
from core.config import Settings
from core.context import CoreContext
from core.event_loop import run
from core.events import DomainEvent
from core.logging import configure_logging
from core.telegram_check import TelegramCheck
from core.telegram_session import make_bot

log = logging.getLogger("tg_campaigns")


def start_api_worker(
    settings: Settings, core: CoreContext, stack: contextlib.AsyncExitStack
) -> None:
    """One more API process; its domain events come back to `core`'s bus, where the bot,
    the scheduler and the sender listen. `stack` stops it."""
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(
        target=serve_api_only, args=(settings, sender), name="api-worker", daemon=True
    )
    process.start()
    sender.close()
    loop = asyncio.get_running_loop()
    tasks: set[asyncio.Task[Any]] = set()
    loop.add_reader(receiver.fileno(), _relay_event, receiver, core, tasks)

    def stop() -> None:
        loop.remove_reader(receiver.fileno())
        process.terminate()
        process.join(10)
        receiver.close()

    stack.callback(stop)


def _relay_event(receiver: Connection, core: CoreContext, tasks: set[asyncio.Task[Any]]) -> None:
    try:
        event = receiver.recv()
    except (EOFError, OSError):
        asyncio.get_running_loop().remove_reader(receiver.fileno())
        log.error("an API worker process exited")
        return
    task = asyncio.create_task(core.bus.publish(event))
    tasks.add(task)  # held until done: the loop keeps only weak references to tasks
    task.add_done_callback(tasks.discard)


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
    bot = check = None
    if settings.bot_token is not None:  # the offline demo's emulator lives in the main process
        bot = make_bot(settings.bot_token.get_secret_value(), settings.telegram_api_url)
        check = TelegramCheck(bot)
    runner = web.AppRunner(create_api_app(core, telegram_check=check), access_log=None)
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
        if bot is not None:
            await bot.session.close()
        await engine.dispose()
        events.close()
