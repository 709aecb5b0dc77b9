"""The running executions a send loop knows: loaded from the ledger as they start, dropped as
they stop, and marked halted the moment a pause, cancel or failure is heard of."""

from __future__ import annotations

from types import MappingProxyType

from core.campaign_types.base import RunContext, UnknownCampaignType
from core.campaign_types.registry import policy_for
from core.context import CoreContext
from core.delivery.finalize import fail_execution
from core.delivery.jobs import Job
from core.delivery.run_rules import RunRules
from core.models import CampaignType
from storage.models import Campaign, Execution
from storage.repositories.campaigns import CampaignRepository
from storage.repositories.executions import ExecutionRepository


def job_for(execution: Execution, campaign: Campaign | None) -> Job:
    """What the send loop needs of a running execution (UnknownCampaignType if untyped)."""
    return Job(
        execution_id=execution.id,
        campaign_id=execution.campaign_id,
        tenant_id=execution.tenant_id,
        priority=execution.priority,
        test_mode=execution.test_mode,
        paid=bool(campaign and campaign.allow_paid_broadcast),
        policy=policy_for(campaign.type if campaign else CampaignType.MESSAGE),
        messages=list(execution.messages or (campaign.messages if campaign else None) or []),
        rules=RunRules.from_settings(execution.settings),
        context=RunContext(
            campaign_id=execution.campaign_id,
            settings=MappingProxyType(dict(campaign.settings or {}) if campaign else {}),
            ends_at=campaign.end_date if campaign else None,
        ),
    )


class RunningJobs:
    """Jobs by execution id, and the halted ones with the event that halted them."""

    def __init__(self, core: CoreContext) -> None:
        self.core = core
        self.jobs: dict[int, Job] = {}
        self.halted: dict[int, str] = {}

    def halt_campaign(self, campaign_id: int | None, event_name: str) -> None:
        """Stop sending for the campaign's runs at once (a pause leaves test sends running)."""
        for job in self.jobs.values():
            if job.campaign_id != campaign_id:
                continue
            if job.test_mode and event_name == "campaign.paused":
                continue
            self.halted[job.execution_id] = event_name

    async def refresh(self) -> list[Job]:
        """The running executions in dispatch order; a run without a policy is failed."""
        untyped: dict[int, str] = {}
        async with self.core.uow() as uow:
            executions = await ExecutionRepository(uow.session).running()
            campaigns = CampaignRepository(uow.session)
            for execution in executions:
                if execution.id not in self.jobs:
                    campaign = await campaigns.by_id(execution.campaign_id)
                    try:
                        self.jobs[execution.id] = job_for(execution, campaign)
                    except UnknownCampaignType as exc:
                        untyped[execution.id] = exc.message
        for execution_id, reason in untyped.items():
            # Failed rather than retried: the type will not gain a policy while it runs.
            async with self.core.uow() as uow:
                await fail_execution(uow, execution_id, reason)
        executions = [e for e in executions if e.id not in untyped]
        running = {e.id for e in executions}
        # No batch is being dispatched now (one loop does both): jobs of executions that
        # stopped running are forgotten, and come back from the database if resumed.
        for execution_id in list(self.jobs):
            if execution_id not in running:
                del self.jobs[execution_id]
        # A halt mark outlives its run's stop (its sends may still be in flight) and is
        # dropped once the run is running again (resumed).
        self.halted = {k: v for k, v in self.halted.items() if k not in running}
        return [self.jobs[e.id] for e in executions]
