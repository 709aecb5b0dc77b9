"""The lifecycle of a schedule: one explicit table, asked by the API, the bot and the timer."""

from __future__ import annotations

from core.errors import IllegalTransition

# A schedule waits in `scheduled` (one-time) or `active` (recurring, trigger-based).
WAITING = {"one-time": "scheduled", "recurring": "active", "trigger-based": "active"}

TRANSITIONS: dict[tuple[str, str], str] = {
    ("scheduled", "pause"): "paused",
    ("active", "pause"): "paused",
    ("paused", "resume"): "waiting",
    ("scheduled", "edit"): "scheduled",
    ("active", "edit"): "active",
    ("paused", "edit"): "paused",
    ("completed", "edit"): "waiting",  # a new time brings a finished schedule back
    ("failed", "edit"): "waiting",
    ("scheduled", "complete"): "completed",
    ("active", "complete"): "completed",
    ("scheduled", "fail"): "failed",
    ("active", "fail"): "failed",
    ("scheduled", "test"): "scheduled",
    ("active", "test"): "active",
    ("paused", "test"): "paused",
    ("completed", "test"): "completed",
    ("failed", "test"): "failed",
}
SYSTEM = {"complete", "fail"}


def allowed(status: str) -> list[str]:
    """Actions a person may take in `status` (delete is always allowed)."""
    return [a for (s, a) in TRANSITIONS if s == status and a not in SYSTEM] + ["delete"]


def next_status(kind: str, status: str, action: str) -> str:
    """The status after `action`, or IllegalTransition naming the allowed actions."""
    target = TRANSITIONS.get((status, action))
    if target is None:
        raise IllegalTransition(action, status, allowed(status))
    return WAITING[kind] if target == "waiting" else target
