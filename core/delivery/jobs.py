"""What the send loop is tuned by, and what it knows about each running execution."""

from __future__ import annotations

import os
import secrets
import socket
from dataclasses import dataclass, field
from typing import Any

from core.campaign_types.base import NO_CONTEXT, DeliveryPolicy, Prepared, RunContext
from core.delivery.results import RetryPolicy
from core.delivery.run_rules import RunRules


def default_worker_id() -> str:
    """A worker id unique across hosts and restarts."""
    return f"{socket.gethostname()[:16]}-{os.getpid()}-{secrets.token_hex(3)}"


@dataclass(frozen=True)
class EngineSettings:
    """Tuning of the send loop (defaults suit Telegram's limits)."""

    worker_id: str = field(default_factory=default_worker_id)
    claim_seconds: float = 0.5
    max_claim: int = 500
    max_in_flight: int = 100
    flush_interval: float = 0.2
    poll_interval: float = 0.5
    heartbeat_interval: float = 5.0
    worker_timeout: float = 20.0
    outage_bound: float = 60.0
    single_process: bool = True
    retry: RetryPolicy = field(default_factory=RetryPolicy)


@dataclass
class Job:
    """What the engine knows about one running execution; `policy` is its campaign type's."""

    execution_id: int
    campaign_id: int
    tenant_id: int
    priority: int
    paid: bool
    test_mode: bool
    policy: DeliveryPolicy[Any]
    variants: dict[int, Prepared] = field(default_factory=dict)
    messages: list[dict[str, Any]] = field(default_factory=list)
    rules: RunRules = field(default_factory=RunRules)
    context: RunContext = NO_CONTEXT

    def content(self, variation: int) -> Prepared:
        """The content of a variation, prepared by the policy once per run."""
        if variation not in self.variants:
            self.variants[variation] = self.policy.prepare(self.messages, variation, self.context)
        return self.variants[variation]
