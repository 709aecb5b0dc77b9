"""The lifecycle of a schedule: one explicit table, asked by the API, the bot and the timer.

The statuses of a schedule's runs and of its trigger jobs are here too: the timer and the
trigger runner write them, nothing moves them back.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final, Literal

from core.errors import IllegalTransition


class ScheduleKind(StrEnum):
    """How a schedule fires (`schedules.type`)."""

    ONE_TIME = "one-time"
    RECURRING = "recurring"
    TRIGGER_BASED = "trigger-based"


class ScheduleStatus(StrEnum):
    """Statuses of a schedule (`schedules.status`)."""

    SCHEDULED = "scheduled"
    ACTIVE = "active"
    PAUSED = "paused"
    COMPLETED = "completed"
    FAILED = "failed"
    # Written just before the row is deleted, so the change signal and whoever still holds
    # the object see that it is gone.
    DELETED = "deleted"


class ScheduleAction(StrEnum):
    """Things done to a schedule. System actions are not offered to people."""

    PAUSE = "pause"
    RESUME = "resume"
    EDIT = "edit"
    COMPLETE = "complete"  # system: the last occurrence fired
    FAIL = "fail"  # system: a one-time schedule missed its time
    TEST = "test"
    DELETE = "delete"


class ScheduleRunStatus(StrEnum):
    """Outcomes of one planned firing (`schedule_runs.status`)."""

    FIRED = "fired"
    SKIPPED = "skipped"
    FAILED = "failed"
    MISSED = "missed"  # the service was down at its time


class TriggerJobStatus(StrEnum):
    """Statuses of a delayed send caused by an event (`trigger_jobs.status`)."""

    PENDING = "pending"
    DONE = "done"
    SKIPPED = "skipped"
    FAILED = "failed"


S, A, K = ScheduleStatus, ScheduleAction, ScheduleKind

# A schedule waits in `scheduled` (one-time) or `active` (recurring, trigger-based).
WAITING_BY_KIND: dict[str, ScheduleStatus] = {  # keyed by ScheduleKind
    K.ONE_TIME: S.SCHEDULED,
    K.RECURRING: S.ACTIVE,
    K.TRIGGER_BASED: S.ACTIVE,
}
# Statuses in which a schedule's timer or triggers may fire.
WAITING_STATUSES = frozenset(WAITING_BY_KIND.values())

# Not a status: the target "waiting again", i.e. WAITING_BY_KIND of the schedule's kind.
WAIT: Final = "waiting"

# (from status, action) -> to status. Actions that keep the status map to the same status.
SCHEDULE_TRANSITIONS: dict[
    tuple[ScheduleStatus, ScheduleAction], ScheduleStatus | Literal["waiting"]
] = {
    (S.SCHEDULED, A.PAUSE): S.PAUSED,
    (S.ACTIVE, A.PAUSE): S.PAUSED,
    (S.PAUSED, A.RESUME): WAIT,
    (S.SCHEDULED, A.EDIT): S.SCHEDULED,
    (S.ACTIVE, A.EDIT): S.ACTIVE,
    (S.PAUSED, A.EDIT): S.PAUSED,
    (S.COMPLETED, A.EDIT): WAIT,  # a new time brings a finished schedule back
    (S.FAILED, A.EDIT): WAIT,
    (S.SCHEDULED, A.COMPLETE): S.COMPLETED,
    (S.ACTIVE, A.COMPLETE): S.COMPLETED,
    (S.SCHEDULED, A.FAIL): S.FAILED,
    (S.ACTIVE, A.FAIL): S.FAILED,
    (S.SCHEDULED, A.TEST): S.SCHEDULED,
    (S.ACTIVE, A.TEST): S.ACTIVE,
    (S.PAUSED, A.TEST): S.PAUSED,
    (S.COMPLETED, A.TEST): S.COMPLETED,
    (S.FAILED, A.TEST): S.FAILED,
    # Delete is always allowed, and offered last.
    (S.SCHEDULED, A.DELETE): S.DELETED,
    (S.ACTIVE, A.DELETE): S.DELETED,
    (S.PAUSED, A.DELETE): S.DELETED,
    (S.COMPLETED, A.DELETE): S.DELETED,
    (S.FAILED, A.DELETE): S.DELETED,
}
SCHEDULE_SYSTEM_ACTIONS = frozenset({A.COMPLETE, A.FAIL})


def allowed_schedule_actions(status: str) -> list[str]:
    """Actions a person may take in `status`, in table order."""
    return [
        a.value
        for (s, a) in SCHEDULE_TRANSITIONS
        if s == status and a not in SCHEDULE_SYSTEM_ACTIONS
    ]


def next_schedule_status(kind: str, status: str, action: str) -> ScheduleStatus:
    """The status after `action`, or IllegalTransition naming the allowed actions."""
    target = SCHEDULE_TRANSITIONS.get((ScheduleStatus(status), ScheduleAction(action)))
    if target is None:
        raise IllegalTransition(str(action), str(status), allowed_schedule_actions(status))
    return WAITING_BY_KIND[kind] if target == WAIT else ScheduleStatus(target)
