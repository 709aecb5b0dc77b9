"""The transition table, checked cell by cell: every status × every action."""

import pytest

from core.errors import IllegalTransition
from core.lifecycle import (
    SYSTEM_ACTIONS,
    Action,
    Status,
    action_for_target,
    allowed_actions,
    can,
    transition,
)

S, A = Status, Action

# The expected table, written out independently of core.lifecycle.CAMPAIGN_TRANSITIONS.
EXPECTED = {
    S.DRAFT: {
        A.SCHEDULE: S.SCHEDULED,
        A.EXECUTE: S.ACTIVE,
        A.EDIT: S.DRAFT,
        A.EDIT_CONTENT: S.DRAFT,
        A.DELETE: S.DRAFT,
        A.CLONE: S.DRAFT,
        A.TEST_SEND: S.DRAFT,
    },
    S.SCHEDULED: {
        A.SCHEDULE: S.SCHEDULED,
        A.UNSCHEDULE: S.DRAFT,
        A.EXECUTE: S.ACTIVE,
        A.START: S.ACTIVE,
        A.CANCEL: S.CANCELLED,
        A.EDIT: S.SCHEDULED,
        A.CLONE: S.SCHEDULED,
        A.TEST_SEND: S.SCHEDULED,
    },
    S.ACTIVE: {
        A.PAUSE: S.PAUSED,
        A.CANCEL: S.CANCELLED,
        A.COMPLETE: S.COMPLETED,
        A.FAIL: S.FAILED,
        A.EDIT: S.ACTIVE,
        A.CLONE: S.ACTIVE,
        A.TEST_SEND: S.ACTIVE,
        A.RESEND: S.ACTIVE,
    },
    S.PAUSED: {
        A.RESUME: S.ACTIVE,
        A.CANCEL: S.CANCELLED,
        A.FAIL: S.FAILED,
        A.EDIT: S.PAUSED,
        A.CLONE: S.PAUSED,
        A.TEST_SEND: S.PAUSED,
        A.RESEND: S.PAUSED,
    },
    S.COMPLETED: {A.CLONE: S.COMPLETED, A.TEST_SEND: S.COMPLETED, A.RESEND: S.COMPLETED},
    S.CANCELLED: {A.DELETE: S.CANCELLED, A.CLONE: S.CANCELLED},
    S.FAILED: {A.EXECUTE: S.ACTIVE, A.CLONE: S.FAILED, A.TEST_SEND: S.FAILED},
}


@pytest.mark.parametrize("status", list(Status))
@pytest.mark.parametrize("action", list(Action))
def test_every_cell_of_the_table(status: Status, action: Action) -> None:
    expected = EXPECTED[status].get(action)
    if expected is None:
        assert not can(status, action)
        with pytest.raises(IllegalTransition) as info:
            transition(status, action)
        assert info.value.status == status.value
        assert status.value in info.value.message
        assert info.value.allowed == allowed_actions(status)
    else:
        assert can(status, action)
        assert transition(status, action).to_status is expected


def test_tenant_spec_transitions_are_all_present() -> None:
    # tenant-campaigns-api.md's table, with the action that performs each move.
    spec = [
        (S.DRAFT, A.SCHEDULE, S.SCHEDULED),
        (S.DRAFT, A.EXECUTE, S.ACTIVE),
        (S.SCHEDULED, A.START, S.ACTIVE),
        (S.SCHEDULED, A.CANCEL, S.CANCELLED),
        (S.ACTIVE, A.PAUSE, S.PAUSED),
        (S.ACTIVE, A.COMPLETE, S.COMPLETED),
        (S.PAUSED, A.RESUME, S.ACTIVE),
        (S.PAUSED, A.CANCEL, S.CANCELLED),
    ]
    for source, action, target in spec:
        assert transition(source, action).to_status is target


def test_system_actions_are_never_offered_to_people() -> None:
    for status in Status:
        offered = set(allowed_actions(status))
        assert not offered & {a.value for a in SYSTEM_ACTIONS}


def test_status_changes_emit_the_spec_events() -> None:
    assert transition(S.DRAFT, A.EXECUTE).event == "campaign.started"
    assert transition(S.ACTIVE, A.PAUSE).event == "campaign.paused"
    assert transition(S.PAUSED, A.RESUME).event == "campaign.resumed"
    assert transition(S.ACTIVE, A.COMPLETE).event == "campaign.completed"
    assert transition(S.ACTIVE, A.FAIL).event == "campaign.failed"
    assert transition(S.PAUSED, A.CANCEL).event == "campaign.cancelled"
    assert transition(S.DRAFT, A.EDIT).event is None


def test_put_status_maps_to_the_user_action() -> None:
    assert action_for_target("draft", "active") == "execute"
    assert action_for_target("active", "paused") == "pause"
    assert action_for_target("paused", "active") == "resume"
    assert action_for_target("scheduled", "draft") == "unschedule"
    with pytest.raises(IllegalTransition):
        action_for_target("draft", "completed")
    with pytest.raises(IllegalTransition):
        action_for_target("completed", "active")
