"""Campaign response shapes (campaigns-api.md and tenant-campaigns-api.md)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from api.schemas import Out, PageQuery, Pagination, SkipQuery, UtcTime
from core.ids import format_id
from core.lifecycle import allowed_actions
from core.models import CampaignStatusIn, CampaignTypeIn
from core.validation import Line, Lowercase, QueryInt, Uppercase
from storage.models import Campaign
from storage.repositories.campaigns import SORTABLE

SORT_PATTERN = f"^-?(?:{'|'.join(SORTABLE)})$"
AB_STATE = {"active": "running", "paused": "paused", "completed": "completed"}


class CampaignStatistics(Out):
    """Counters kept with the campaign, updated as deliveries settle."""

    total_tasks: int
    completed_tasks: int
    failed_tasks: int
    target_count: int
    messages_sent: int
    messages_failed: int
    clicks: int
    conversions_achieved: int
    revenue: float
    total_cost: float


class TargetAudienceOut(Out):
    """targetAudience with the audience size."""

    segments: list[str] = Field(default_factory=list)
    filters: dict[str, Any] | None = None
    total_count: int


class AbTest(Out):
    """An A/B test derived from a message's variations."""

    id: str
    name: str
    status: str


class CampaignOut(Out):
    """A campaign as the API shows it."""

    id: str
    name: str
    description: str | None
    type: str
    status: str
    goals: dict[str, Any] | None
    target_audience: TargetAudienceOut
    strategy: dict[str, Any] | None
    messages: list[dict[str, Any]]
    workflow: dict[str, Any] | None
    ab_tests: list[AbTest]
    budget: float | None
    start_date: UtcTime | None
    end_date: UtcTime | None
    scheduled_at: UtcTime | None
    timezone: str | None
    allow_paid_broadcast: bool
    statistics: CampaignStatistics
    allowed_actions: list[str]
    created_by: str | None
    created_at: UtcTime
    updated_at: UtcTime


class CampaignList(Out):
    """data of GET /campaigns."""

    campaigns: list[CampaignOut]
    pagination: Pagination


class CampaignCreated(Out):
    """data of POST /campaigns and /clone."""

    id: str
    name: str
    status: str
    message: str


def _ab_tests(campaign: Campaign) -> list[AbTest]:
    state = AB_STATE
    tests = []
    for index, message in enumerate(campaign.messages or []):
        if message.get("variations"):
            tests.append(
                AbTest(
                    id=f"ab{index + 1}",
                    name=f"Message {index + 1} variations",
                    status=state.get(campaign.status, "draft"),
                )
            )
    return tests


def campaign_out(campaign: Campaign, total_count: int | None = None) -> CampaignOut:
    """Render a campaign; `total_count` overrides the stored audience size with a live one."""
    audience = campaign.target_audience or {}
    return CampaignOut(
        id=format_id("campaign", campaign.id),
        name=campaign.name,
        description=campaign.description,
        type=campaign.type,
        status=campaign.status,
        goals=campaign.goals,
        target_audience=TargetAudienceOut(
            segments=audience.get("segments") or [],
            filters=audience.get("filters"),
            total_count=campaign.target_count if total_count is None else total_count,
        ),
        strategy=campaign.strategy,
        messages=campaign.messages or [],
        workflow=campaign.workflow,
        ab_tests=_ab_tests(campaign),
        budget=campaign.budget,
        start_date=campaign.start_date,
        end_date=campaign.end_date,
        scheduled_at=campaign.scheduled_at,
        timezone=campaign.timezone,
        allow_paid_broadcast=campaign.allow_paid_broadcast,
        statistics=CampaignStatistics(
            total_tasks=campaign.executions_total,
            completed_tasks=campaign.executions_completed,
            failed_tasks=campaign.executions_failed,
            target_count=campaign.target_count,
            messages_sent=campaign.sent_count,
            messages_failed=campaign.failed_count,
            clicks=campaign.clicked_count,
            conversions_achieved=campaign.converted_count,
            revenue=campaign.revenue,
            total_cost=campaign.cost,
        ),
        allowed_actions=allowed_actions(campaign.status),
        created_by=campaign.created_by,
        created_at=campaign.created_at,
        updated_at=campaign.updated_at,
    )


class CampaignListQuery(PageQuery):
    """Query of GET /campaigns."""

    status: CampaignStatusIn | None = None
    type: CampaignTypeIn | None = None
    sort: str = Field(default="-createdAt", max_length=32, pattern=SORT_PATTERN)
    search: Line | None = Field(default=None, max_length=200)


class ExecuteResult(Out):
    """data of POST /execute."""

    execution_id: str | None
    id: str
    status: str
    campaign_status: str
    started_at: UtcTime | None = None
    scheduled_at: UtcTime | None = None
    target_count: int
    estimated_completion: UtcTime | None = None
    message: str


class ActionOut(Out):
    """data of pause / resume / cancel / schedule."""

    id: str
    status: str
    message: str
    paused_at: UtcTime | None = None
    resumed_at: UtcTime | None = None
    cancelled_at: UtcTime | None = None
    scheduled_at: UtcTime | None = None
    sent_count: int | None = None
    target_count: int | None = None


class ProgressCounts(Out):
    """Counts of the progress object."""

    percentage: float
    processed: int
    total: int
    successful: int
    failed: int
    unknown: int
    skipped: int
    pending: int


class ErrorCount(Out):
    """Failures grouped by code."""

    code: str
    count: int
    message: str


class ProgressOut(Out):
    """data of GET /progress."""

    status: str
    execution_id: str | None
    progress: ProgressCounts
    current_rate: float
    estimated_completion: UtcTime | None
    errors: list[ErrorCount]


class StatisticsQuery(BaseModel):
    """Query of GET /statistics."""

    model_config = ConfigDict(extra="ignore")
    period: Lowercase[str] = Field(default="all", max_length=32)
    metrics: Lowercase[str] = Field(default="all", max_length=200)


class StatisticsOut(Out):
    """data of GET /statistics (sections present as requested by `metrics`)."""

    model_config = ConfigDict(extra="allow")
    period: str
    overview: dict[str, Any] | None = None
    performance: dict[str, Any] | None = None
    timeline: list[dict[str, Any]] | None = None
    segments: list[dict[str, Any]] | None = None
    variations: list[dict[str, Any]] | None = None


class InteractionsQuery(SkipQuery):
    """Query of GET /interactions (tenant-campaigns-api.md paging)."""

    type: (
        Uppercase[
            Literal[
                "SENT", "DELIVERED", "OPENED", "CLICKED", "CONVERTED", "UNSUBSCRIBED", "BOUNCED"
            ]
        ]
        | None
    ) = None
    take: QueryInt = Field(default=25, ge=1, le=100)


class InteractionOut(Out):
    """One tracked interaction."""

    id: str
    customer_id: str | None
    customer_name: str | None = None
    type: str
    channel: str = "TELEGRAM"
    occurred_at: UtcTime
    metadata: dict[str, Any] = Field(default_factory=dict)


class InteractionsMeta(Out):
    """Paging of interactions."""

    total: int
    skip: int
    take: int
