"""Callback queries created by virtual users and the bots' answers to them."""

from __future__ import annotations

import itertools
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(slots=True)
class CallbackQueryRecord:
    """One button press and, once the bot answered, how it answered."""

    id: str
    bot_id: int
    user_id: int
    chat_id: int
    message_id: int
    data: str
    created_at: float
    answered: bool = False
    answered_at: float | None = None
    answer_text: str | None = None
    show_alert: bool = False
    url: str | None = None
    cache_time: int | None = None

    def to_json(self) -> dict[str, Any]:
        """JSON view for the control API."""
        return asdict(self)


class CallbackRegistry:
    """All callback queries, in creation order."""

    def __init__(self) -> None:
        self.queries: dict[str, CallbackQueryRecord] = {}
        self._counter = itertools.count(1)

    def new_id(self, user_id: int) -> str:
        """A unique callback query id (Telegram's are opaque numeric strings)."""
        return f"{user_id}{next(self._counter):08d}"

    def add(self, record: CallbackQueryRecord) -> None:
        """Register a newly created query."""
        self.queries[record.id] = record

    def for_bot(self, bot_id: int | None) -> list[CallbackQueryRecord]:
        """Queries addressed to one bot (or to all bots)."""
        return [q for q in self.queries.values() if bot_id is None or q.bot_id == bot_id]

    def clear(self) -> None:
        """Forget every query."""
        self.queries.clear()
