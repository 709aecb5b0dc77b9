"""Turning send outcomes into ledger write-backs (pure functions, no I/O)."""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from core.delivery.outcomes import Kind, Outcome
from core.lifecycle import DeliveryStatus
from storage.repositories.deliveries import ClaimedRow

BLOCKING_CODES = {"USER_BLOCKED": "blocked", "USER_DEACTIVATED": "deactivated"}
# Telegram's price of one message sent with allow_paid_broadcast, in Stars.
PAID_MESSAGE_STARS = 0.1


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter for transient failures."""

    max_attempts: int = 5
    base_seconds: float = 1.0
    max_seconds: float = 60.0

    def delay(self, attempts: int, rng: random.Random) -> float:
        """Seconds to wait before attempt number `attempts + 1`."""
        ceiling = min(self.max_seconds, self.base_seconds * 2 ** max(0, attempts - 1))
        return ceiling * (0.5 + rng.random() / 2)


@dataclass
class Batch:
    """Everything one flush writes for one execution.

    It carries no counts: the counters move by what the write-back actually changed in the
    ledger, in the same transaction, so they cannot drift from it.
    """

    rows: list[dict[str, Any]] = field(default_factory=list)
    blocked: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    moved_chats: list[tuple[int, int]] = field(default_factory=list)

    def merge(self, other: Batch) -> None:
        """Take back a batch whose write failed (it is retried with the next flush)."""
        self.rows.extend(other.rows)
        for status, ids in other.blocked.items():
            self.blocked[status].extend(ids)
        self.moved_chats.extend(other.moved_chats)


def close_out(rows: list[dict[str, Any]], reason: str, now: datetime) -> list[dict[str, Any]]:
    """Rows of an execution that has ended: what would go back to the queue is skipped."""
    return [
        {
            **row,
            "status": DeliveryStatus.SKIPPED,
            "error_code": reason,
            "not_before": None,
            "processed_at": now,
        }
        if row["status"] == DeliveryStatus.PENDING
        else row
        for row in rows
    ]


def _row(claimed: ClaimedRow, status: DeliveryStatus, **values: Any) -> dict[str, Any]:
    return {
        "id": claimed.id,
        "status": status,
        "chat_id": values.pop("chat_id", claimed.chat_id),
        "attempts": values.pop("attempts", claimed.attempts),
        "claimed_by": None,
        "cost": values.pop("cost", 0.0),
        **values,
    }


def apply_outcome(
    batch: Batch,
    claimed: ClaimedRow,
    outcome: Outcome,
    now: datetime,
    policy: RetryPolicy,
    rng: random.Random,
    *,
    chat_id: int | None = None,
    paid: bool = False,
) -> None:
    """Add the ledger effect of one outcome to `batch`; a `paid` send costs PAID_MESSAGE_STARS."""
    chat = chat_id if chat_id is not None else claimed.chat_id
    tried = claimed.attempts + 1
    if outcome.kind is Kind.SENT:
        batch.rows.append(
            _row(
                claimed,
                DeliveryStatus.SENT,
                chat_id=chat,
                attempts=tried,
                message_id=outcome.message_id,
                ref=outcome.ref,
                cost=PAID_MESSAGE_STARS if paid else 0.0,
                processed_at=now,
            )
        )
    elif outcome.kind is Kind.FAILED:
        batch.rows.append(
            _row(
                claimed,
                DeliveryStatus.FAILED,
                chat_id=chat,
                attempts=tried,
                error_code=outcome.code,
                error_detail=outcome.detail,
                processed_at=now,
            )
        )
        if outcome.code in BLOCKING_CODES:
            batch.blocked[BLOCKING_CODES[outcome.code]].append(claimed.subscriber_id)
    elif outcome.kind is Kind.RETRY and tried >= policy.max_attempts:
        batch.rows.append(
            _row(
                claimed,
                DeliveryStatus.FAILED,
                chat_id=chat,
                attempts=tried,
                error_code="NETWORK_ERROR",
                error_detail=outcome.detail,
                processed_at=now,
            )
        )
    elif outcome.kind is Kind.RETRY:
        wait = timedelta(seconds=policy.delay(tried, rng))
        batch.rows.append(
            _row(
                claimed,
                DeliveryStatus.PENDING,
                chat_id=chat,
                attempts=tried,
                error_code=outcome.code,
                error_detail=outcome.detail,
                not_before=now + wait,
            )
        )
    elif outcome.kind is Kind.MIGRATED:
        # The engine resends once to the new chat; migrating again is not followed.
        batch.rows.append(
            _row(
                claimed,
                DeliveryStatus.FAILED,
                chat_id=chat,
                attempts=tried,
                error_code=outcome.code,
                error_detail=outcome.detail or f"migrated again, to {outcome.migrate_to}",
                processed_at=now,
            )
        )
    elif outcome.kind is Kind.UNKNOWN:
        batch.rows.append(
            _row(
                claimed,
                DeliveryStatus.UNKNOWN,
                chat_id=chat,
                attempts=tried,
                error_code=outcome.code,
                error_detail=outcome.detail,
                processed_at=now,
            )
        )
    else:  # RATE_LIMITED, FATAL, or released before sending: no attempt was spent
        pause = timedelta(seconds=outcome.retry_after) if outcome.retry_after else None
        batch.rows.append(
            _row(
                claimed,
                DeliveryStatus.PENDING,
                chat_id=chat,
                not_before=now + pause if pause else None,
            )
        )
    if chat != claimed.chat_id:
        batch.moved_chats.append((claimed.subscriber_id, chat))
