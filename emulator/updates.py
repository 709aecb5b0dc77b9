"""Per-bot update queue with Telegram's confirmation and allowed_updates semantics."""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from typing import Any

# Update types Telegram withholds unless a bot asks for them explicitly.
OPT_IN_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


class UpdateQueue:
    """Pending updates of one bot, numbered by a monotonically increasing update_id."""

    def __init__(self, max_pending: int) -> None:
        self._pending: deque[dict[str, Any]] = deque(maxlen=max_pending)
        self._next_id = 1
        self._wakeup = asyncio.Event()
        self.allowed_updates: frozenset[str] | None = None

    def __len__(self) -> int:
        return len(self._pending)

    def accepts(self, update_type: str) -> bool:
        """Whether the bot's allowed_updates setting lets this type through."""
        if not self.allowed_updates:
            return update_type not in OPT_IN_UPDATES
        return update_type in self.allowed_updates

    def set_allowed(self, allowed: list[str] | None) -> None:
        """Store a new allowed_updates list; None keeps the previous setting like Telegram."""
        if allowed is not None:
            self.allowed_updates = frozenset(allowed)

    def push(self, update_type: str, payload: dict[str, Any]) -> dict[str, Any] | None:
        """Enqueue an update (or drop it if not allowed) and wake any waiter."""
        if not self.accepts(update_type):
            return None
        update = {"update_id": self._next_id, update_type: payload}
        self._next_id += 1
        self._pending.append(update)
        self._wakeup.set()
        return update

    def confirm(self, offset: int) -> None:
        """Forget updates below `offset`; a negative offset keeps only the last -offset."""
        pending = self._pending
        if offset < 0:
            while len(pending) > -offset:
                pending.popleft()
            return
        while pending and pending[0]["update_id"] < offset:
            pending.popleft()

    def peek(self, limit: int) -> list[dict[str, Any]]:
        """The oldest `limit` pending updates, left in the queue."""
        if limit >= len(self._pending):
            return list(self._pending)
        return [self._pending[i] for i in range(limit)]

    def first(self) -> dict[str, Any] | None:
        """The oldest pending update, if any."""
        return self._pending[0] if self._pending else None

    def drop_first(self, update: dict[str, Any]) -> None:
        """Remove `update` if it is still at the head (it may have been dropped meanwhile)."""
        if self._pending and self._pending[0] is update:
            self._pending.popleft()

    def clear(self) -> None:
        """Drop every pending update."""
        self._pending.clear()

    def wake(self) -> None:
        """Wake waiters without adding an update (shutdown, competing poller)."""
        self._wakeup.set()

    async def wait(self, seconds: float) -> None:
        """Sleep until something is pushed, `wake()` is called, or `seconds` pass."""
        self._wakeup.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wakeup.wait(), seconds)
