"""The campaign lifecycle: one explicit transition table that every entry point obeys."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from core.errors import IllegalTransition


class Status(StrEnum):
    """Campaign statuses."""

    DRAFT = "draft"
    SCHEDULED = "scheduled"
    ACTIVE = "active"
    PAUSED = "paused"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    FAILED = "failed"


class Action(StrEnum):
    """Things that can be done to a campaign. System actions are not offered to people."""

    SCHEDULE = "schedule"
    UNSCHEDULE = "unschedule"
    EXECUTE = "execute"
    START = "start"  # system: a scheduled time arrived
    PAUSE = "pause"
    RESUME = "resume"
    CANCEL = "cancel"
    COMPLETE = "complete"  # system: every delivery settled
    FAIL = "fail"  # system: a systemic send failure
    EDIT = "edit"
    EDIT_CONTENT = "edit_content"
    DELETE = "delete"
    CLONE = "clone"
    TEST_SEND = "test_send"
    RESEND = "resend"  # put `unknown` deliveries back in the queue, deliberately


SYSTEM_ACTIONS = frozenset({Action.START, Action.COMPLETE, Action.FAIL})


class PauseReason(StrEnum):
    """Why the system paused a campaign (a pause by a person has no reason); cleared on resume."""

    BUDGET_EXHAUSTED = "BUDGET_EXHAUSTED"  # the budget cannot pay for the next paid message


S, A = Status, Action

# (from status, action) -> to status. Actions that keep the status map to the same status.
CAMPAIGN_TRANSITIONS: dict[tuple[Status, Action], Status] = {
    (S.DRAFT, A.SCHEDULE): S.SCHEDULED,
    (S.DRAFT, A.EXECUTE): S.ACTIVE,
    (S.DRAFT, A.EDIT): S.DRAFT,
    (S.DRAFT, A.EDIT_CONTENT): S.DRAFT,
    (S.DRAFT, A.DELETE): S.DRAFT,
    (S.DRAFT, A.CLONE): S.DRAFT,
    (S.SCHEDULED, A.SCHEDULE): S.SCHEDULED,
    (S.SCHEDULED, A.UNSCHEDULE): S.DRAFT,
    (S.SCHEDULED, A.EXECUTE): S.ACTIVE,
    (S.SCHEDULED, A.START): S.ACTIVE,
    (S.SCHEDULED, A.CANCEL): S.CANCELLED,
    (S.SCHEDULED, A.EDIT): S.SCHEDULED,
    (S.SCHEDULED, A.CLONE): S.SCHEDULED,
    (S.ACTIVE, A.PAUSE): S.PAUSED,
    (S.ACTIVE, A.CANCEL): S.CANCELLED,
    (S.ACTIVE, A.COMPLETE): S.COMPLETED,
    (S.ACTIVE, A.FAIL): S.FAILED,
    (S.ACTIVE, A.EDIT): S.ACTIVE,
    (S.ACTIVE, A.CLONE): S.ACTIVE,
    (S.PAUSED, A.RESUME): S.ACTIVE,
    (S.PAUSED, A.CANCEL): S.CANCELLED,
    (S.PAUSED, A.FAIL): S.FAILED,
    (S.PAUSED, A.EDIT): S.PAUSED,
    (S.PAUSED, A.CLONE): S.PAUSED,
    (S.COMPLETED, A.CLONE): S.COMPLETED,
    (S.CANCELLED, A.DELETE): S.CANCELLED,
    (S.CANCELLED, A.CLONE): S.CANCELLED,
    (S.FAILED, A.EXECUTE): S.ACTIVE,
    (S.FAILED, A.CLONE): S.FAILED,
    (S.DRAFT, A.TEST_SEND): S.DRAFT,
    (S.SCHEDULED, A.TEST_SEND): S.SCHEDULED,
    (S.ACTIVE, A.TEST_SEND): S.ACTIVE,
    (S.PAUSED, A.TEST_SEND): S.PAUSED,
    (S.COMPLETED, A.TEST_SEND): S.COMPLETED,
    (S.FAILED, A.TEST_SEND): S.FAILED,
    (S.ACTIVE, A.RESEND): S.ACTIVE,
    (S.PAUSED, A.RESEND): S.PAUSED,
    (S.COMPLETED, A.RESEND): S.COMPLETED,
}

# The domain event each status-changing action emits.
CAMPAIGN_EVENTS: dict[Action, str] = {
    A.SCHEDULE: "campaign.scheduled",
    A.UNSCHEDULE: "campaign.unscheduled",
    A.EXECUTE: "campaign.started",
    A.START: "campaign.started",
    A.PAUSE: "campaign.paused",
    A.RESUME: "campaign.resumed",
    A.CANCEL: "campaign.cancelled",
    A.COMPLETE: "campaign.completed",
    A.FAIL: "campaign.failed",
}


@dataclass(frozen=True)
class Transition:
    """The outcome of an allowed action."""

    action: Action
    from_status: Status
    to_status: Status

    @property
    def event(self) -> str | None:
        """The domain event name, or None when the action records no event."""
        return CAMPAIGN_EVENTS.get(self.action)


def allowed_actions(status: str, *, include_system: bool = False) -> list[str]:
    """Actions allowed in `status`, in table order."""
    current = Status(status)
    return [
        action.value
        for (src, action) in CAMPAIGN_TRANSITIONS
        if src is current and (include_system or action not in SYSTEM_ACTIONS)
    ]


def can(status: str, action: str) -> bool:
    """Whether `action` is allowed in `status`."""
    return (Status(status), Action(action)) in CAMPAIGN_TRANSITIONS


def transition(status: str, action: str) -> Transition:
    """The transition for `action` from `status`, or IllegalTransition naming what is allowed."""
    current, act = Status(status), Action(action)
    target = CAMPAIGN_TRANSITIONS.get((current, act))
    if target is None:
        raise IllegalTransition(act.value, current.value, allowed_actions(current))
    return Transition(act, current, target)


def action_for_target(status: str, target: str) -> str:
    """The user action that moves `status` to `target` (for PUT with a status field)."""
    current, wanted = Status(status), Status(target)
    for (src, action), dst in CAMPAIGN_TRANSITIONS.items():
        if src is current and dst is wanted and action not in SYSTEM_ACTIONS and src is not dst:
            return action.value
    raise IllegalTransition(f"move to '{wanted.value}'", current.value, allowed_actions(current))
