"""getUpdates long polling and webhook management."""

from __future__ import annotations

import re
from typing import Any

from emulator.behaviour import on_bot_connect
from emulator.bots import WebhookSettings
from emulator.errors import ApiError, bad_request
from emulator.methods.context import Call
from emulator.webhook import MethodRunner, start_pusher, stop_pusher

MAX_POLL_TIMEOUT = 50
_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


def _allowed_updates(call: Call) -> list[str] | None:
    """The allowed_updates parameter as a list (None when absent)."""
    allowed = call.params.json("allowed_updates", "allowed updates")
    if allowed is None:
        return None
    if not isinstance(allowed, list) or not all(isinstance(a, str) for a in allowed):
        raise bad_request("can't parse allowed updates JSON object")
    return allowed


async def get_updates(call: Call) -> list[dict[str, Any]]:
    """getUpdates: confirm by offset, then return pending updates or wait up to `timeout`."""
    bot, params = call.bot, call.params
    on_bot_connect(call.state, bot)
    if bot.webhook is not None:
        raise ApiError(
            409,
            "Conflict: can't use getUpdates method while webhook is active; "
            "use deleteWebhook to delete the webhook first",
        )
    bot.updates.set_allowed(_allowed_updates(call))
    offset = params.integer("offset")
    if offset:
        bot.updates.confirm(offset)
    limit = min(max(params.integer("limit") or 100, 1), 100)
    timeout = min(max(params.number("timeout") or 0.0, 0.0), MAX_POLL_TIMEOUT)
    # A newer getUpdates call terminates an older one that is still waiting.
    bot.poll_generation += 1
    generation = bot.poll_generation
    bot.updates.wake()
    closing = call.state.closing
    updates = bot.updates.peek(limit)
    if not updates and timeout > 0 and not closing.is_set():
        await bot.updates.wait(timeout)
        if bot.poll_generation != generation:
            raise ApiError(
                409,
                "Conflict: terminated by other getUpdates request; "
                "make sure that only one bot instance is running",
            )
        updates = bot.updates.peek(limit)
    return updates


def make_webhook_methods(run_method: MethodRunner) -> dict[str, Any]:
    """setWebhook/deleteWebhook/getWebhookInfo bound to the dispatcher's method runner."""

    def set_webhook(call: Call) -> bool:
        """setWebhook: an empty url removes the webhook."""
        bot, params = call.bot, call.params
        on_bot_connect(call.state, bot)
        url = params.text("url") or ""
        if not url:
            return delete_webhook(call)
        if not url.startswith(("http://", "https://")):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        secret = params.text("secret_token")
        if secret is not None and not _SECRET.match(secret):
            raise bad_request("secret token contains unallowed characters")
        if params.boolean("drop_pending_updates"):
            bot.updates.clear()
        bot.updates.set_allowed(_allowed_updates(call))
        bot.webhook = WebhookSettings(
            url=url,
            secret_token=secret,
            max_connections=params.integer("max_connections") or 40,
            ip_address=params.text("ip_address"),
        )
        start_pusher(call.state, bot, run_method)
        return True

    def delete_webhook(call: Call) -> bool:
        """deleteWebhook (optionally dropping pending updates)."""
        bot = call.bot
        if call.params.boolean("drop_pending_updates"):
            bot.updates.clear()
        bot.webhook = None
        stop_pusher(bot)
        return True

    def get_webhook_info(call: Call) -> dict[str, Any]:
        """getWebhookInfo."""
        bot = call.bot
        if bot.webhook is None:
            return {
                "url": "",
                "has_custom_certificate": False,
                "pending_update_count": len(bot.updates),
            }
        return bot.webhook.info(len(bot.updates), bot.updates.allowed_updates)

    return {
        "setwebhook": set_webhook,
        "deletewebhook": delete_webhook,
        "getwebhookinfo": get_webhook_info,
    }
