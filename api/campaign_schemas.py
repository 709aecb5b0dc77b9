"""Campaign response shapes (campaigns-api.md and tenant-campaigns-api.md)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from api.plain import plain_renderer
from api.schemas import Out, PageQuery, Pagination, SkipQuery, UtcTime
from core.ids import format_id
from core.lifecycle import Status, allowed_actions
from core.models import CampaignStatusIn, CampaignTypeIn, InteractionType
from core.validation import Line, Lowercase, QueryInt, Uppercase
from storage.models import Campaign
from storage.repositories.campaign_list import LIST_KEYS
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
    settings: dict[str, Any] | None = Field(
        description="What the campaign's type needs beyond its messages (docs/campaign-types.md)."
    )
    pause_reason: str | None = Field(
        description="Why the system paused the campaign, e.g. BUDGET_EXHAUSTED; null otherwise."
    )
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


# allowedActions depends on the status alone; lists render it for every row.
ACTIONS = {status.value: allowed_actions(status.value) for status in Status}


def campaign_values(c: Mapping[str, Any], total_count: int | None = None) -> dict[str, Any]:
    """CampaignOut's field values (snake_case, JSON-ready but for times) for a campaign's
    columns, e.g. a list row; `total_count` overrides the stored audience size with a live one."""
    audience = c["target_audience"] or {}
    messages = c["messages"] or []
    ab_status = AB_STATE.get(c["status"], "draft")
    budget = c["budget"]
    return {
        "id": format_id("campaign", c["id"]),
        "name": c["name"],
        "description": c["description"],
        "type": c["type"],
        "status": c["status"],
        "goals": c["goals"],
        "target_audience": {
            "segments": audience.get("segments") or [],
            "filters": audience.get("filters"),
            "total_count": c["target_count"] if total_count is None else total_count,
        },
        "strategy": c["strategy"],
        "messages": messages,
        "workflow": c["workflow"],
        "ab_tests": [
            {"id": f"ab{i}", "name": f"Message {i} variations", "status": ab_status}
            for i, message in enumerate(messages, start=1)
            if message.get("variations")
        ],
        "budget": None if budget is None else float(budget),
        "start_date": c["start_date"],
        "end_date": c["end_date"],
        "scheduled_at": c["scheduled_at"],
        "timezone": c["timezone"],
        "allow_paid_broadcast": bool(c["allow_paid_broadcast"]),
        "settings": c["settings"],
        "pause_reason": c["pause_reason"],
        "statistics": {
            "total_tasks": c["executions_total"],
            "completed_tasks": c["executions_completed"],
            "failed_tasks": c["executions_failed"],
            "target_count": c["target_count"],
            "messages_sent": c["sent_count"],
            "messages_failed": c["failed_count"],
            "clicks": c["clicked_count"],
            "conversions_achieved": c["converted_count"],
            "revenue": float(c["revenue"]),
            "total_cost": float(c["cost"]),
        },
        "allowed_actions": ACTIONS[c["status"]],
        "created_by": c["created_by"],
        "created_at": c["created_at"],
        "updated_at": c["updated_at"],
    }


def columns_of(campaign: Campaign) -> dict[str, Any]:
    """A stored campaign's columns, as a list row carries them."""
    return {key: getattr(campaign, key) for key in LIST_KEYS}


def campaign_out(campaign: Campaign, total_count: int | None = None) -> CampaignOut:
    """Render a campaign; `total_count` overrides the stored audience size with a live one."""
    return CampaignOut.model_validate(campaign_values(columns_of(campaign), total_count))


# The list's hot path: CampaignOut's JSON straight from the values, without model instances.
campaign_json = plain_renderer(CampaignOut)


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
    pause_reason: str | None = Field(
        default=None,
        description="Why the system paused the campaign (BUDGET_EXHAUSTED); null otherwise.",
    )


class StatisticsQuery(BaseModel):
    """Query of GET /statistics."""

    model_config = ConfigDict(extra="ignore")
    period: Lowercase[str] = Field(default="all", max_length=32)
    metrics: Lowercase[str] = Field(default="all", max_length=200)


class InteractionsQuery(SkipQuery):
    """Query of GET /interactions (tenant-campaigns-api.md paging)."""

    type: Uppercase[InteractionType] | None = None
    take: QueryInt = Field(default=25, ge=1, le=100)


class InteractionOut(Out):
    """One tracked interaction."""

    id: str
    customer_id: str | None
    customer_name: str | None = None
    type: InteractionType
    channel: str = "TELEGRAM"
    occurred_at: UtcTime
    metadata: dict[str, Any] = Field(default_factory=dict)


class InteractionsMeta(Out):
    """Paging of interactions."""

    total: int
    skip: int
    take: int
