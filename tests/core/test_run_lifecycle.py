"""The execution and delivery state machines: the tables, and that the code stays inside them."""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, cast

import pytest
from sqlalchemy import String
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession

from core.deliveries import LISTABLE
from core.delivery.outcomes import Kind, Outcome
from core.delivery.results import Batch, RetryPolicy, apply_outcome, close_out
from core.lifecycle import (
    DELIVERY_INITIAL,
    DELIVERY_REMAINING,
    DELIVERY_SETTLED,
    DELIVERY_TERMINAL,
    DELIVERY_TRANSITIONS,
    EXECUTION_ENDED,
    EXECUTION_INITIAL,
    EXECUTION_OPEN,
    EXECUTION_TERMINAL,
    EXECUTION_TRANSITIONS,
    DeliveryStatus,
    ExecutionStatus,
    can_move_delivery,
    can_move_execution,
)
from storage.models import Delivery, Execution
from storage.repositories.deliveries import ClaimedRow, Settled
from storage.repositories.executions import ExecutionRepository

D, E = DeliveryStatus, ExecutionStatus
NOW = datetime(2026, 1, 1, tzinfo=UTC)
Table = Mapping[Any, frozenset[Any]]
Move = Callable[[str, str], bool]
MACHINES = [
    (DeliveryStatus, DELIVERY_TRANSITIONS, DELIVERY_TERMINAL, can_move_delivery),
    (ExecutionStatus, EXECUTION_TRANSITIONS, EXECUTION_TERMINAL, can_move_execution),
]


def test_a_sending_row_can_settle_retry_or_become_unknown() -> None:
    for target in (D.SENT, D.FAILED, D.PENDING, D.UNKNOWN, D.SKIPPED):
        assert can_move_delivery("sending", target)
    assert not can_move_delivery("sending", "sending")


def test_a_sent_row_never_goes_back_to_pending() -> None:
    assert not can_move_delivery(D.SENT, D.PENDING)
    assert not can_move_delivery(D.SENT, D.SENDING)
    assert not can_move_delivery("failed", "pending")


def test_only_a_deliberate_resend_takes_an_unknown_row_back_to_the_queue() -> None:
    assert DELIVERY_TRANSITIONS[D.UNKNOWN] == {D.PENDING}
    assert not can_move_delivery(D.UNKNOWN, D.SENDING)
    assert not can_move_delivery(D.PENDING, D.SENT)  # a row is claimed before it is sent


def test_an_execution_is_completed_or_failed_only_from_where_the_code_does_it() -> None:
    assert can_move_execution(E.RUNNING, E.COMPLETED)
    assert not can_move_execution(E.PAUSED, E.COMPLETED)
    assert can_move_execution(E.PAUSED, E.FAILED)
    assert can_move_execution(E.COMPLETED, E.RUNNING)  # requeued unknown rows reopen it
    assert not can_move_execution(E.COMPLETED, E.PAUSED)
    assert not can_move_execution(E.CANCELLED, E.RUNNING)


@pytest.mark.parametrize(("enum", "table", "terminal", "can_move"), MACHINES)
def test_every_status_and_every_target_in_the_table_is_an_enum_member(
    enum: type[StrEnum], table: Table, terminal: frozenset[str], can_move: Move
) -> None:
    assert set(table) == set(enum)
    for source, targets in table.items():
        assert type(source) is enum
        assert all(type(target) is enum for target in targets)
        assert source not in targets, "writing the same status is no move"


@pytest.mark.parametrize(("enum", "table", "terminal", "can_move"), MACHINES)
def test_terminal_statuses_have_no_way_out(
    enum: type[StrEnum], table: Table, terminal: frozenset[str], can_move: Move
) -> None:
    assert terminal
    for source in terminal:
        assert not table[source]
        assert not any(can_move(source, target) for target in enum)
    for source in set(enum) - terminal:
        assert table[source], f"{source} is not terminal, so something must leave it"


def test_names_that_are_no_status_never_move() -> None:
    assert not can_move_delivery("queued", "sent")
    assert not can_move_delivery("sending", "delivered")
    assert not can_move_execution("running", "done")


def test_the_derived_sets_agree_with_the_tables() -> None:
    assert {D.SENT, D.FAILED, D.SKIPPED} == DELIVERY_TERMINAL
    assert {E.CANCELLED, E.FAILED} == EXECUTION_TERMINAL
    assert set(D) == DELIVERY_SETTLED | DELIVERY_REMAINING
    assert not DELIVERY_SETTLED & DELIVERY_REMAINING
    assert DELIVERY_TERMINAL <= DELIVERY_SETTLED
    assert set(Settled.__dataclass_fields__) == set(DELIVERY_SETTLED)
    assert EXECUTION_INITIAL in EXECUTION_OPEN
    assert not EXECUTION_OPEN & EXECUTION_TERMINAL
    # Ended: everything not open; only a completed run may reopen (for a resend).
    assert set(E) == EXECUTION_OPEN | EXECUTION_ENDED
    assert {E.COMPLETED} == EXECUTION_ENDED - EXECUTION_TERMINAL


def test_the_values_are_what_storage_holds() -> None:
    # Beside the CHECK constraints (tests/test_status_constraints.py): the column widths, the
    # defaults and the API's listable statuses agree with the enums.
    delivery_width = cast(String, Delivery.__table__.c.status.type).length or 0
    execution_width = cast(String, Execution.__table__.c.status.type).length or 0
    assert all(len(status) <= delivery_width for status in D)
    assert all(len(status) <= execution_width for status in E)
    assert Delivery.__table__.c.status.default.arg == DELIVERY_INITIAL
    assert Execution.__table__.c.status.default.arg in set(E)
    assert set(LISTABLE) == {status.value for status in D}


def _claimed(attempts: int = 0) -> ClaimedRow:
    return ClaimedRow(
        id=1, execution_id=7, subscriber_id=3, chat_id=30, variation=0, attempts=attempts
    )


@pytest.mark.parametrize("kind", list(Kind))
@pytest.mark.parametrize("attempts", [0, 4])
def test_every_send_outcome_moves_a_sending_row_along_the_table(kind: Kind, attempts: int) -> None:
    batch = Batch()
    outcome = Outcome(kind, message_id=5, code="X", retry_after=1.0, migrate_to=31)
    apply_outcome(batch, _claimed(attempts), outcome, NOW, RetryPolicy(), random.Random(1))
    for row in batch.rows:
        assert can_move_delivery(D.SENDING, row["status"]), (kind, row["status"])
        for ended in close_out([row], "CANCELLED", NOW):
            assert can_move_delivery(D.SENDING, ended["status"])
            assert ended["status"] != D.PENDING


class _Recorder:
    """Stands in for a session: keeps the statements instead of running them."""

    def __init__(self) -> None:
        self.statements: list[Any] = []

    async def execute(self, statement: Any) -> None:
        self.statements.append(statement)


@pytest.mark.parametrize("dialect", [sqlite.dialect(), postgresql.dialect()])
async def test_statements_render_the_plain_values(dialect: Dialect) -> None:
    recorder = _Recorder()
    session = cast(AsyncSession, recorder)
    await ExecutionRepository(session).reopen(7, 2)
    await ExecutionRepository(session).set_status([7], E.PAUSED)
    rendered = [
        str(statement.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
        for statement in recorder.statements
    ]
    assert "'completed'" in rendered[0] and "'running'" in rendered[0]
    assert "status='paused'" in rendered[1]
    assert not any("Status." in sql for sql in rendered)
