"""Pushing updates to a bot's webhook, with retries and method calls in the reply."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import orjson

from emulator.bots import BotState, WebhookSettings
from emulator.params import Params, read_params
from emulator.state import EmulatorState

log = logging.getLogger(__name__)

# Executes a Bot API method on behalf of a bot (the dispatcher provides it).
MethodRunner = Callable[[EmulatorState, BotState, str, Params], Awaitable[tuple[int, Any]]]


def start_pusher(state: EmulatorState, bot: BotState, run_method: MethodRunner) -> None:
    """(Re)start the delivery loop for the bot's current webhook."""
    stop_pusher(bot)
    if bot.webhook is not None:
        bot.pusher = state.spawn(_push_loop(state, bot, bot.webhook, run_method))


def stop_pusher(bot: BotState) -> None:
    """Stop delivering (webhook deleted or replaced)."""
    if bot.pusher is not None:
        bot.pusher.cancel()
        bot.pusher = None


async def _push_loop(
    state: EmulatorState, bot: BotState, webhook: WebhookSettings, run_method: MethodRunner
) -> None:
    """Deliver pending updates one at a time, in order, while this webhook is current."""
    while bot.webhook is webhook and not state.closing.is_set():
        update = bot.updates.first()
        if update is None:
            await bot.updates.wait(3600)
            continue
        await _deliver(state, bot, webhook, update, run_method)
        bot.updates.drop_first(update)


async def _deliver(
    state: EmulatorState,
    bot: BotState,
    webhook: WebhookSettings,
    update: dict[str, Any],
    run_method: MethodRunner,
) -> None:
    """POST one update, retrying with exponential backoff; give up after the last retry."""
    config = state.config
    headers = {"Content-Type": "application/json"}
    if webhook.secret_token:
        headers["X-Telegram-Bot-Api-Secret-Token"] = webhook.secret_token
    body = orjson.dumps(update)
    for attempt in range(config.webhook_retries + 1):
        if attempt:
            await asyncio.sleep(config.webhook_backoff * 2 ** (attempt - 1))
        error = await _post(state, bot, webhook, body, headers, run_method)
        if error is None:
            webhook.delivered += 1
            return
        webhook.failed_attempts += 1
        webhook.last_error_date = state.unix_time()
        webhook.last_error_message = error
    webhook.dropped += 1
    log.warning("webhook %s: dropped update %s", webhook.url, update["update_id"])


async def _post(
    state: EmulatorState,
    bot: BotState,
    webhook: WebhookSettings,
    body: bytes,
    headers: dict[str, str],
    run_method: MethodRunner,
) -> str | None:
    """One delivery attempt; returns an error message or None on success."""
    assert state.http is not None, "EmulatorState.start() opens the webhook client"
    timeout = aiohttp.ClientTimeout(total=state.config.webhook_timeout)
    try:
        async with state.http.post(
            webhook.url, data=body, headers=headers, timeout=timeout
        ) as response:
            if not 200 <= response.status < 300:
                return f"Wrong response from the webhook: {response.status} {response.reason}"
            params = await read_params(response.headers, response.content)
    except (aiohttp.ClientError, TimeoutError) as error:
        return f"Connection failed: {type(error).__name__}: {error}"
    except Exception as error:  # a malformed reply body must not kill the push loop
        return f"Unreadable webhook reply: {error}"
    method = params.text("method")
    if method:
        # Telegram executes a method returned in the webhook reply, ignoring its result.
        params.values.pop("method", None)
        await run_method(state, bot, method, params)
    return None
