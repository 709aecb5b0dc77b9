"""Creating an execution: one snapshot of an audience into the delivery ledger."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from core.context import Actor
from core.lifecycle import EXECUTION_INITIAL, EXECUTION_STARTED
from core.uow import UnitOfWork
from storage.audience import AudienceSpec
from storage.models import Campaign, Execution
from storage.repositories.executions import ExecutionRepository

PRIORITY = {"low": 0, "normal": 1, "high": 2}


@dataclass(frozen=True)
class RunPlan:
    """Everything one run needs besides the campaign."""

    spec: AudienceSpec
    trigger: str  # manual | scheduled | schedule | trigger | test
    messages: list[dict[str, Any]] | None = None  # None: the campaign's own messages
    test_mode: bool = False
    priority: str = "normal"
    percentage: int = 100
    limit: int | None = None
    settings: dict[str, Any] | None = None
    schedule_id: int | None = None


def variation_cutoffs(messages: list[dict[str, Any]]) -> list[int]:
    """Cumulative bucket bounds for the first message's variations (the original gets the rest)."""
    variations = messages[0].get("variations", []) if messages else []
    if not variations:
        return []
    original = max(0.0, 100.0 - sum(float(v.get("weight", 0)) for v in variations))
    bounds, running = [], original
    for variation in variations[:-1]:
        running += float(variation.get("weight", 0))
        bounds.append(round(running))
    return [round(original), *bounds]


def execution_row(
    campaign: Campaign, plan: RunPlan, created_by: str, now: datetime
) -> dict[str, Any]:
    """The column values of a new execution: pending until its audience is in the ledger."""
    return {
        "tenant_id": campaign.tenant_id,
        "campaign_id": campaign.id,
        "status": EXECUTION_INITIAL,
        "trigger": plan.trigger,
        "test_mode": plan.test_mode,
        "target_percentage": plan.percentage,
        "priority": PRIORITY[plan.priority],
        "started_at": now,
        "created_by": created_by,
        "created_at": now,
        "messages": plan.messages,
        "schedule_id": plan.schedule_id,
        "settings": plan.settings,
    }


async def launch(uow: UnitOfWork, actor: Actor, campaign: Campaign, plan: RunPlan) -> Execution:
    """Insert the execution, snapshot its audience with one INSERT ... SELECT, start it."""
    executions = ExecutionRepository(uow.session)
    execution = await executions.add(
        Execution(**execution_row(campaign, plan, actor.label, uow.clock()))
    )
    execution.total = await executions.snapshot(
        execution.id,
        plan.spec,
        percentage=plan.percentage,
        variation_cutoffs=variation_cutoffs(plan.messages or campaign.messages or []),
        sample_salt=execution.id,
        variation_salt=campaign.id,
        limit=plan.limit,
    )
    execution.status = EXECUTION_STARTED
    return execution
