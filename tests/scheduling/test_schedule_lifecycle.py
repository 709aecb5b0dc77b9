"""The schedule lifecycle table: enum-keyed, and asked with the plain strings storage holds."""

from __future__ import annotations

import pytest

from core.errors import IllegalTransition
from core.lifecycle import (
    SCHEDULE_TRANSITIONS,
    WAIT,
    WAITING_BY_KIND,
    ScheduleAction,
    ScheduleKind,
    ScheduleStatus,
    allowed_schedule_actions,
    next_schedule_status,
)

S, A = ScheduleStatus, ScheduleAction


def test_every_key_and_target_of_the_table_is_an_enum_member() -> None:
    for (status, action), target in SCHEDULE_TRANSITIONS.items():
        assert type(status) is ScheduleStatus and type(action) is ScheduleAction
        assert target == WAIT or type(target) is ScheduleStatus
    assert set(WAITING_BY_KIND) == set(ScheduleKind)


def test_people_are_offered_what_they_were_offered_before_and_delete_last() -> None:
    assert allowed_schedule_actions("scheduled") == ["pause", "edit", "test", "delete"]
    assert allowed_schedule_actions("paused") == ["resume", "edit", "test", "delete"]
    assert allowed_schedule_actions("completed") == ["edit", "test", "delete"]
    assert all(type(action) is str for action in allowed_schedule_actions("active"))


@pytest.mark.parametrize(
    ("kind", "waiting"),
    [("one-time", "scheduled"), ("recurring", "active"), ("trigger-based", "active")],
)
def test_resuming_goes_back_to_the_waiting_status_of_the_kind(kind: str, waiting: str) -> None:
    assert next_schedule_status(kind, "paused", "resume") == waiting
    assert next_schedule_status(kind, "completed", A.EDIT) is WAITING_BY_KIND[kind]


def test_a_finished_schedule_cannot_be_paused_and_says_what_it_can_do() -> None:
    with pytest.raises(IllegalTransition) as refused:
        next_schedule_status("recurring", S.COMPLETED, A.PAUSE)
    assert (refused.value.status, refused.value.allowed) == (
        "completed",
        ["edit", "test", "delete"],
    )


def test_a_deleted_schedule_is_marked_from_any_status() -> None:
    for status in set(S) - {S.DELETED}:
        assert next_schedule_status("recurring", status, "delete") is S.DELETED
    assert allowed_schedule_actions(S.DELETED) == []
