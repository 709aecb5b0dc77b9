"""Execution and delivery lifecycles: each one explicit transition table the code obeys."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import TypeVar


class ExecutionStatus(StrEnum):
    """Statuses of one run of a campaign (`executions.status`)."""

    PENDING = "pending"  # inserted, its audience not yet in the ledger
    RUNNING = "running"
    PAUSED = "paused"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    FAILED = "failed"


class DeliveryStatus(StrEnum):
    """Statuses of one ledger row (`deliveries.status`, at most 8 characters)."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    UNKNOWN = "unknown"
    SKIPPED = "skipped"


E, D = ExecutionStatus, DeliveryStatus

# from status -> the statuses the code moves it to (a write of the same status is no move).
EXECUTION_TRANSITIONS: dict[ExecutionStatus, frozenset[ExecutionStatus]] = {
    # start (once the audience is in the ledger); pause_campaign and cancel_campaign act on
    # every open execution, pending included.
    E.PENDING: frozenset({E.RUNNING, E.PAUSED, E.CANCELLED}),
    # pause; cancel; complete_if_done; fail_execution.
    E.RUNNING: frozenset({E.PAUSED, E.CANCELLED, E.COMPLETED, E.FAILED}),
    # resume; cancel; fail_execution.
    E.PAUSED: frozenset({E.RUNNING, E.CANCELLED, E.FAILED}),
    # resend_unknown: requeued `unknown` rows reopen a completed run (ExecutionRepository.reopen).
    E.COMPLETED: frozenset({E.RUNNING}),
    E.CANCELLED: frozenset(),
    E.FAILED: frozenset(),
}
# core.executions inserts an execution as INITIAL and starts it (STARTED) in the same
# transaction, in the UPDATE that records its audience's size.
EXECUTION_INITIAL = E.PENDING
EXECUTION_STARTED = E.RUNNING
EXECUTION_TERMINAL = frozenset(s for s, nexts in EXECUTION_TRANSITIONS.items() if not nexts)
# Executions that have not finished (pause and cancel act on them).
EXECUTION_OPEN = frozenset({E.PENDING, E.RUNNING, E.PAUSED})
# Executions that stopped sending (a completed one may still reopen for a resend).
EXECUTION_ENDED = frozenset({E.COMPLETED, E.CANCELLED, E.FAILED})
# Executions whose `unknown` rows an operator may queue again.
EXECUTION_REQUEUABLE = frozenset({E.RUNNING, E.PAUSED, E.COMPLETED})

DELIVERY_TRANSITIONS: dict[DeliveryStatus, frozenset[DeliveryStatus]] = {
    # claim; skip_pending (cancel, failed execution).
    D.PENDING: frozenset({D.SENDING, D.SKIPPED}),
    # apply_outcome (pending again on retry, rate limit or release); close_out turns a row
    # that would go back to the queue of an ended execution into skipped; recover_orphans.
    D.SENDING: frozenset({D.SENT, D.FAILED, D.PENDING, D.UNKNOWN, D.SKIPPED}),
    # requeue_unknown: only an operator's deliberate resend.
    D.UNKNOWN: frozenset({D.PENDING}),
    D.SENT: frozenset(),
    D.FAILED: frozenset(),
    D.SKIPPED: frozenset(),
}
DELIVERY_INITIAL = D.PENDING  # the audience snapshot inserts it
DELIVERY_TERMINAL = frozenset(s for s, nexts in DELIVERY_TRANSITIONS.items() if not nexts)
# Rows that count as processed (the counters and progress); `unknown` may still be resent.
DELIVERY_SETTLED = frozenset({D.SENT, D.FAILED, D.UNKNOWN, D.SKIPPED})
# Rows still to be sent: queued or in a sender's hands.
DELIVERY_REMAINING = frozenset({D.PENDING, D.SENDING})


_S = TypeVar("_S", ExecutionStatus, DeliveryStatus)


def _can_move(table: Mapping[_S, frozenset[_S]], current: str, target: str) -> bool:
    """Whether `table` lets `current` move to `target` (unknown statuses never move)."""
    return any(current == status and target in nexts for status, nexts in table.items())


def can_move_execution(current: str, target: str) -> bool:
    """Whether an execution in `current` may move to `target`."""
    return _can_move(EXECUTION_TRANSITIONS, current, target)


def can_move_delivery(current: str, target: str) -> bool:
    """Whether a ledger row in `current` may move to `target`."""
    return _can_move(DELIVERY_TRANSITIONS, current, target)
