"""Per-token bot state: identity, updates, webhook, commands, limiter windows, stats."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from typing import Any

from emulator.ratelimit import SlidingWindow
from emulator.stats import BotStats
from emulator.updates import UpdateQueue

TOKEN_PATTERN = re.compile(r"^(\d{1,20}):[A-Za-z0-9_-]{30,64}$")


@dataclass
class WebhookSettings:
    """A webhook registered with setWebhook, plus delivery diagnostics."""

    url: str
    secret_token: str | None = None
    max_connections: int = 40
    ip_address: str | None = None
    last_error_date: int | None = None
    last_error_message: str | None = None
    delivered: int = 0
    failed_attempts: int = 0
    dropped: int = 0

    def info(self, pending: int, allowed: frozenset[str] | None) -> dict[str, Any]:
        """The WebhookInfo object Telegram returns for this webhook."""
        info: dict[str, Any] = {
            "url": self.url,
            "has_custom_certificate": False,
            "pending_update_count": pending,
            "max_connections": self.max_connections,
        }
        if self.ip_address:
            info["ip_address"] = self.ip_address
        if allowed:
            info["allowed_updates"] = sorted(allowed)
        if self.last_error_date is not None:
            info["last_error_date"] = self.last_error_date
            info["last_error_message"] = self.last_error_message
        return info


@dataclass(eq=False)
class BotState:
    """Everything the emulator knows about one bot token."""

    token: str
    bot_id: int
    max_pending_updates: int
    max_send_times: int
    updates: UpdateQueue = field(init=False)
    stats: BotStats = field(init=False)
    user_api: dict[str, Any] = field(init=False)
    webhook: WebhookSettings | None = None
    pusher: asyncio.Task[None] | None = None
    commands: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    global_window: SlidingWindow = field(default_factory=SlidingWindow)
    paid_window: SlidingWindow = field(default_factory=SlidingWindow)
    chat_windows: dict[int, SlidingWindow] = field(default_factory=dict)
    greeted: bool = False
    poll_generation: int = 0

    def __post_init__(self) -> None:
        self.updates = UpdateQueue(self.max_pending_updates)
        self.stats = BotStats(self.max_send_times)
        self.user_api = {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": f"Emulated Bot {self.bot_id}",
            "username": f"emu{self.bot_id}_bot",
        }

    def me(self) -> dict[str, Any]:
        """The getMe result."""
        return {
            **self.user_api,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def chat_window(self, chat_id: int) -> SlidingWindow:
        """The per-chat limiter window of this bot for `chat_id`."""
        window = self.chat_windows.get(chat_id)
        if window is None:
            window = self.chat_windows[chat_id] = SlidingWindow()
        return window

    def describe(self) -> dict[str, Any]:
        """JSON view for the control API."""
        return {
            "token": self.token,
            "bot_id": self.bot_id,
            "username": self.user_api["username"],
            "webhook": self.webhook.url if self.webhook else None,
            "pending_updates": len(self.updates),
            "allowed_updates": sorted(self.updates.allowed_updates or ()),
            "commands": self.commands,
            "greeted": self.greeted,
        }


def parse_token(token: str) -> int | None:
    """The bot id encoded in a well-formed token, or None."""
    match = TOKEN_PATTERN.match(token)
    return int(match.group(1)) if match else None
