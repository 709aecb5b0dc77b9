"""Rows handed back to an ended execution are skipped with the reason it ended, never a wrong one."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.context import Actor
from core.delivery.finalize import closing_reason
from core.delivery.results import Batch
from core.delivery.writeback import write_results
from core.lifecycle import EXECUTION_ENDED, EXECUTION_OPEN, ExecutionStatus
from core.statistics import ERROR_MESSAGES
from storage.models import Delivery, Execution
from storage.repositories.deliveries import DeliveryRepository
from tests.delivery.conftest import add_subscribers, launch

E = ExecutionStatus
NOW = datetime(2026, 1, 5, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        (E.COMPLETED, "EXECUTION_COMPLETED"),
        (E.CANCELLED, "CANCELLED"),
        (E.FAILED, "EXECUTION_FAILED"),
    ],
)
def test_an_ended_execution_names_how_it_ended(status: ExecutionStatus, reason: str) -> None:
    assert closing_reason(status) == reason


def test_an_open_execution_skips_nothing() -> None:
    assert {closing_reason(status) for status in EXECUTION_OPEN} == {None}


def test_no_two_endings_share_a_reason() -> None:
    reasons = {closing_reason(status) for status in EXECUTION_ENDED}
    assert None not in reasons and len(reasons) == len(EXECUTION_ENDED)


def test_progress_explains_every_reason_in_words() -> None:
    for status in EXECUTION_ENDED:
        assert ERROR_MESSAGES[closing_reason(status) or ""].startswith("Skipped because")


async def test_a_retry_handed_back_to_a_completed_execution_is_skipped_as_completed(core, tenant):
    actor = Actor(tenant.id, "api:test")
    await add_subscribers(core, actor, [1])
    _, execution_id = await launch(core, actor)
    async with core.uow() as uow:
        [held] = await DeliveryRepository(uow.session).claim(execution_id, "w", 10, NOW)
    async with core.uow() as uow:
        # However it came to be completed, nothing will send this row again.
        (await uow.session.get(Execution, execution_id)).status = E.COMPLETED

    retry = {"id": held.id, "status": "pending", "chat_id": held.chat_id, "attempts": 1,
             "not_before": NOW, "claimed_by": None}  # fmt: skip
    async with core.uow() as uow:
        await write_results(uow, {execution_id: Batch(rows=[retry])}, "w", NOW)

    async with core.uow() as uow:
        row = await uow.session.get(Delivery, held.id)
        assert (row.status, row.error_code) == ("skipped", "EXECUTION_COMPLETED")
        execution = await uow.session.get(Execution, execution_id)
        assert (execution.status, execution.skipped_count) == ("completed", 1)
