"""Configuration of the Bot API emulator: limits, virtual world size, behaviour."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

Clock = Callable[[], float]

# Fields that a person may change at runtime through the control API.
TUNABLE_FIELDS = (
    "global_rate",
    "paid_rate",
    "rate_window",
    "private_chat_rate",
    "private_chat_window",
    "group_chat_rate",
    "group_chat_window",
    "paid_star_cost",
    "max_text_length",
    "max_caption_length",
    "max_callback_data_bytes",
    "click_rate",
    "click_delay_min",
    "click_delay_max",
    "join_rate",
    "answer_rate",
    "answer_delay_min",
    "answer_delay_max",
    "require_start",
    "strict_file_ids",
    "webhook_retries",
    "webhook_backoff",
    "webhook_timeout",
)


@dataclass
class EmulatorConfig:
    """Every knob of the emulator; the defaults mirror Telegram's documented limits."""

    # Per bot token: ordinary sends per window, and the separate paid-broadcast budget.
    global_rate: int = 30
    paid_rate: int = 1000
    rate_window: float = 1.0
    private_chat_rate: int = 1
    private_chat_window: float = 1.0
    group_chat_rate: int = 20
    group_chat_window: float = 60.0
    paid_star_cost: float = 0.1

    max_text_length: int = 4096
    max_caption_length: int = 1024
    max_callback_data_bytes: int = 64

    # Virtual world created at start-up.
    users: int = 500
    blocked: int = 0
    deactivated: int = 0
    user_id_start: int = 100_000_001
    groups: int = 1
    supergroups: int = 1
    migrated_groups: int = 1
    channels: int = 1
    group_members: int = 10

    # Behaviour of virtual users.
    greet: bool = False
    greet_spread: float = 2.0
    click_rate: float = 0.0
    click_delay_min: float = 0.2
    click_delay_max: float = 1.5
    # Probability that a user follows an invite link they received, and that they answer
    # polls, quizzes, force-reply questions and contact requests.
    join_rate: float = 0.0
    answer_rate: float = 0.0
    answer_delay_min: float = 0.5
    answer_delay_max: float = 3.0
    seed: int = 1

    # Fidelity switches that are off by default to keep simple tests simple.
    require_start: bool = False
    strict_file_ids: bool = False

    rejected_tokens: set[str] = field(default_factory=set)

    webhook_retries: int = 3
    webhook_backoff: float = 0.2
    webhook_timeout: float = 10.0

    max_pending_updates: int = 100_000
    max_recorded_send_times: int = 1_000_000

    # Injectable time sources: `clock` drives the limiters, `wall_clock` message dates.
    clock: Clock = time.monotonic
    wall_clock: Clock = time.time

    def tunables(self) -> dict[str, object]:
        """Return the runtime-tunable settings as a JSON-friendly dict."""
        values: dict[str, object] = {name: getattr(self, name) for name in TUNABLE_FIELDS}
        values["rejected_tokens"] = sorted(self.rejected_tokens)
        return values

    def update(self, changes: dict[str, object]) -> None:
        """Apply a partial update coming from the control API, validating names and types."""
        for name, value in changes.items():
            if name == "rejected_tokens":
                if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
                    raise ValueError("rejected_tokens must be a list of strings")
                self.rejected_tokens = set(value)
                continue
            if name not in TUNABLE_FIELDS:
                raise ValueError(f"unknown or read-only setting: {name}")
            current = getattr(self, name)
            setattr(self, name, _coerce_like(current, value, name))


def _coerce_like(current: object, value: object, name: str) -> object:
    """Convert `value` to the type of the current setting or raise ValueError."""
    if isinstance(current, bool):
        if not isinstance(value, bool):
            raise ValueError(f"{name} must be a boolean")
        return value
    if isinstance(current, int):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"{name} must be an integer")
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{name} must be a number")
    return float(value)
