"""JSON shapes of the outgoing webhook payloads (version 1), as core.webhooks.events builds them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any, Generic, Literal, TypeVar, get_args

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, create_model

from api.schemas import Out
from core.lifecycle import ExecutionStatus, Status
from core.models import CampaignType

TypeT = TypeVar("TypeT", bound=str)
DataT = TypeVar("DataT", bound=BaseModel)


def _prefixed(prefix: str) -> Any:
    return Field(pattern=f"^{prefix}_[1-9][0-9]*$", examples=[f"{prefix}_12"])


CampaignId = Annotated[str, _prefixed("camp")]
ExecutionId = Annotated[str, _prefixed("exec")]
DeliveryId = Annotated[str, _prefixed("dlv")]
ScheduleId = Annotated[str, _prefixed("sched")]
SubscriberId = Annotated[str, _prefixed("sub")]
WebhookId = Annotated[str, _prefixed("wh")]


def _open_schema(schema: dict[str, Any]) -> None:
    # The models refuse unknown fields so tests catch undocumented ones; the document stays
    # open, so a receiver that validates against it survives a field added within version 1.
    schema.pop("additionalProperties", None)


def _no_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


def absent_when_none() -> Any:
    """A field the payload leaves out (never null) when it does not apply."""
    return Field(default=None, json_schema_extra=_no_default)


class Payload(Out):
    """Base of payload models: camelCase keys, unknown fields refused."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_open_schema)


class CampaignCounts(Payload):
    """A campaign's delivery counters."""

    target: int
    sent: int
    failed: int
    clicked: int
    converted: int


class CampaignExecutionCounts(Payload):
    """How many runs a campaign had, and how they ended."""

    total: int
    completed: int
    failed: int


class CampaignSummary(Payload):
    """The campaign as it stands when the event is committed."""

    id: CampaignId
    name: str
    type: CampaignType
    status: Status
    counts: CampaignCounts
    executions: CampaignExecutionCounts


class CampaignRef(Payload):
    """Only the id: the campaign no longer existed when the event was committed."""

    id: CampaignId


Campaign = CampaignSummary | CampaignRef


class SubscriberRef(Payload):
    """The subscriber the event is about (GET /api/v1/subscribers/{id} has the rest)."""

    id: SubscriberId


class CampaignStatusData(Payload):
    """data of campaign.*: the status change (fromStatus is null on campaign.created)."""

    campaign: Campaign
    from_status: Status | None
    to_status: Status
    execution_id: ExecutionId = absent_when_none()
    reason: Annotated[
        str,
        Field(
            description="Why the system moved it: campaign.paused (BUDGET_EXHAUSTED), "
            "campaign.failed (e.g. BOT_TOKEN_REVOKED); absent for a person's action.",
            examples=["BUDGET_EXHAUSTED"],
        ),
    ] = absent_when_none()


class ExecutionStats(Payload):
    """How a run ended."""

    status: ExecutionStatus
    trigger: str = Field(examples=["manual", "schedule", "scheduled", "trigger", "test"])
    schedule_id: ScheduleId | None
    test_mode: bool
    total: int
    sent: int
    failed: int
    unknown: int
    reason: str | None = Field(description="Why the run failed; null otherwise.")


class ExecutionFinishedData(Payload):
    """data of execution.finished."""

    campaign: Campaign
    execution_id: ExecutionId
    execution: ExecutionStats


class SubscriberData(Payload):
    """data of subscriber.*."""

    subscriber: SubscriberRef


class BlockedSubscriber(Payload):
    """The subscriber who blocked the bot, or whose account Telegram deactivated."""

    id: SubscriberId
    status: Literal["blocked", "deactivated"]


class SubscriberBlockedData(Payload):
    """data of subscriber.blocked: campaign and executionId when a run's send found it out."""

    subscriber: BlockedSubscriber
    campaign: Campaign = absent_when_none()
    execution_id: ExecutionId = absent_when_none()


class InteractionDetails(Payload):
    """What the subscriber did (provisional: more fields may come)."""

    model_config = ConfigDict(extra="allow")
    delivery_id: DeliveryId = Field(description="The delivery whose message was used.")
    first: bool = Field(
        description="The subscriber's first interaction of this kind with this delivery."
    )
    button: int | None = Field(
        default=None,
        description="The pressed button's index in the message (clicks, button conversions).",
    )
    via: str | None = Field(
        default=None,
        description="How it came about: invite_link (a join), survey, quiz, entry, event.",
    )
    value: float | None = Field(
        default=None, description="The conversion's value (POST /api/v1/events), summed as revenue."
    )


class InteractionData(Payload):
    """data of interaction.*: who did what with which campaign."""

    campaign: Campaign
    subscriber: SubscriberRef
    interaction: InteractionDetails


class WebhookTestData(Payload):
    """data of webhook.test."""

    webhook_id: WebhookId


class WebhookEvent(Payload, Generic[TypeT, DataT]):
    """The body of every webhook request. A receiver should ignore fields it does not know."""

    type: TypeT
    timestamp: AwareDatetime = Field(
        description="When it happened: UTC, ISO 8601 with a Z.",
        examples=["2026-12-04T02:40:00.123456Z"],
    )
    version: Literal[1]
    data: DataT


@dataclass(frozen=True)
class WebhookDoc:
    """One event type as the document lists it."""

    model: type[BaseModel]
    summary: str


def _doc(parametrized: type[BaseModel], summary: str) -> WebhookDoc:
    """`WebhookEvent[Literal["campaign.created"], ...]` as `CampaignCreatedEvent` (the
    component's name: pydantic would name it after its parameters)."""
    (event_type,) = get_args(parametrized.model_fields["type"].annotation)
    name = "".join(word.capitalize() for word in re.split(r"[._]", event_type)) + "Event"
    model = create_model(name, __base__=parametrized, __doc__=summary + ".", __module__=__name__)
    return WebhookDoc(model, summary)


_STATUS = "The campaign's status changed"
# Every event type a tenant can subscribe to, with its payload model.
WEBHOOK_EVENTS: dict[str, WebhookDoc] = {
    "campaign.created": _doc(
        WebhookEvent[Literal["campaign.created"], CampaignStatusData], "A campaign was created"
    ),
    "campaign.scheduled": _doc(
        WebhookEvent[Literal["campaign.scheduled"], CampaignStatusData], _STATUS + ": scheduled"
    ),
    "campaign.started": _doc(
        WebhookEvent[Literal["campaign.started"], CampaignStatusData], _STATUS + ": started"
    ),
    "campaign.paused": _doc(
        WebhookEvent[Literal["campaign.paused"], CampaignStatusData], _STATUS + ": paused"
    ),
    "campaign.resumed": _doc(
        WebhookEvent[Literal["campaign.resumed"], CampaignStatusData], _STATUS + ": resumed"
    ),
    "campaign.completed": _doc(
        WebhookEvent[Literal["campaign.completed"], CampaignStatusData], _STATUS + ": completed"
    ),
    "campaign.failed": _doc(
        WebhookEvent[Literal["campaign.failed"], CampaignStatusData], _STATUS + ": failed"
    ),
    "campaign.cancelled": _doc(
        WebhookEvent[Literal["campaign.cancelled"], CampaignStatusData], _STATUS + ": cancelled"
    ),
    "execution.finished": _doc(
        WebhookEvent[Literal["execution.finished"], ExecutionFinishedData],
        "A run of a campaign ended (completed, cancelled or failed)",
    ),
    "subscriber.subscribed": _doc(
        WebhookEvent[Literal["subscriber.subscribed"], SubscriberData],
        "A new subscriber registered through the bot",
    ),
    "subscriber.unsubscribed": _doc(
        WebhookEvent[Literal["subscriber.unsubscribed"], SubscriberData],
        "A subscriber sent /stop",
    ),
    "subscriber.blocked": _doc(
        WebhookEvent[Literal["subscriber.blocked"], SubscriberBlockedData],
        "A subscriber blocked the bot or was deactivated",
    ),
    "interaction.clicked": _doc(
        WebhookEvent[Literal["interaction.clicked"], InteractionData],
        "A subscriber clicked a campaign's button",
    ),
    "interaction.converted": _doc(
        WebhookEvent[Literal["interaction.converted"], InteractionData],
        "A subscriber converted on a campaign",
    ),
    "webhook.test": _doc(
        WebhookEvent[Literal["webhook.test"], WebhookTestData],
        "Sent by POST /api/v1/webhooks/{id}/test to that endpoint only",
    ),
}
