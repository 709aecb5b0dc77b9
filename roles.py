"""Which parts of the service a process runs, by ROLE (api, sender, scheduler, all)."""

from __future__ import annotations

from dataclasses import dataclass

from core.config import Role, Settings


@dataclass(frozen=True)
class Parts:
    """The parts one process runs; every role also migrates and finds the default tenant."""

    api: bool  # REST API over HTTP (and HTTP_WORKERS), with the webhook route in webhook mode
    sender: bool  # the delivery engine
    scheduler: bool  # leader candidate: timers, triggers, admin notices while leading
    bot: bool  # the aiogram dispatcher: handlers, live progress, bot events into triggers
    poller: bool  # getUpdates while this process leads (polling mode only)


def parts_of(settings: Settings) -> Parts:
    """What `settings.role` runs, given the Telegram mode (webhook or polling)."""
    role, webhook = settings.role, bool(settings.webhook_url)
    if role is Role.ALL:
        return Parts(api=True, sender=True, scheduler=True, bot=True, poller=not webhook)
    if role is Role.API:
        # Telegram may post any update to any API process: each runs the bot's handlers.
        return Parts(api=True, sender=False, scheduler=False, bot=webhook, poller=False)
    if role is Role.SENDER:
        return Parts(api=False, sender=True, scheduler=False, bot=False, poller=False)
    # Polling: the one getUpdates loop runs in the leader, so the handlers live with it.
    return Parts(api=False, sender=False, scheduler=True, bot=not webhook, poller=not webhook)


def describe(parts: Parts) -> str:
    """The parts in words, for the start-up banner."""
    names = [
        ("REST API", parts.api),
        ("Telegram webhook", parts.api and parts.bot and not parts.poller),
        ("delivery engine", parts.sender),
        ("scheduler (leader candidate)", parts.scheduler),
        ("Telegram polling while leading", parts.poller),
    ]
    return ", ".join(name for name, on in names if on)
