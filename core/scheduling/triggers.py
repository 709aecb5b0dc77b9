"""Events from integrations and the bot start trigger-based schedules, once per event."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from pydantic import (
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from core.context import Actor
from core.errors import DomainError
from core.executions import RunPlan, launch
from core.ids import try_parse_id
from core.interactions import (
    CONVERSION_EVENT,
    MAX_CONVERSION_VALUE,
    Attribution,
    Conversion,
    ConversionValue,
    record_conversion,
)
from core.lifecycle import ScheduleStatus, TriggerJobStatus
from core.models import CamelModel
from core.scheduling.audience import schedule_spec
from core.scheduling.inputs import UNIT_SECONDS, Trigger
from core.scheduling.launch import NOT_RUNNING, run_messages, run_settings
from core.scheduling.service import target_of
from core.uow import UnitOfWork
from core.validation import Instant, JsonObject, Line, TelegramUserId, given, left_out
from storage.audience import AudienceSpec
from storage.models import Campaign
from storage.models_scheduling import Schedule, TriggerEvent, TriggerJob
from storage.repositories.campaigns import CampaignRepository
from storage.repositories.conversions import ConversionRepository
from storage.repositories.schedules import ScheduleRepository
from storage.repositories.subscribers import SubscriberRepository
from storage.repositories.triggers import TriggerRepository

WHO = ("telegramId", "subscriberId", "customerId")
CONVERSION_VALUE: TypeAdapter[float] = TypeAdapter(ConversionValue)


class EventIn(CamelModel):
    """One event: who (telegramId, subscriberId or its other name customerId; or only the
    deliveryId of a conversion), what, when, with which properties. A `conversion` is
    attributed to `campaignId` / `deliveryId` when given, and `properties.value` is its amount."""

    # The _who and _value rules below, said in the OpenAPI document.
    model_config = ConfigDict(
        json_schema_extra={
            "oneOf": [
                {"allOf": [given("telegramId"), left_out("subscriberId", "customerId")]},
                {"allOf": [given("subscriberId"), left_out("telegramId", "customerId")]},
                {"allOf": [given("customerId"), left_out("telegramId", "subscriberId")]},
                {"allOf": [given("deliveryId"), left_out(*WHO)]},
            ],
            "if": {"required": ["event"], "properties": {"event": {"const": CONVERSION_EVENT}}},
            "then": {"properties": {"properties": {"properties": {"value": {"anyOf": [
                {"type": "number", "minimum": 0, "maximum": MAX_CONVERSION_VALUE},
                {"type": "null"},
            ]}}}}},
        }
    )  # fmt: skip

    event: Line = Field(min_length=1, max_length=128)
    event_id: Line | None = Field(default=None, min_length=1, max_length=128)
    telegram_id: TelegramUserId | None = None
    subscriber_id: Line | None = Field(default=None, max_length=64)
    customer_id: Line | None = Field(default=None, max_length=64)
    campaign_id: Line | None = Field(default=None, max_length=64)
    delivery_id: Line | None = Field(default=None, max_length=64)
    properties: JsonObject = Field(default_factory=dict)
    occurred_at: Instant | None = None

    @field_validator("properties")
    @classmethod
    def _value(cls, properties: dict[str, Any], info: ValidationInfo) -> dict[str, Any]:
        if info.data.get("event") == CONVERSION_EVENT and properties.get("value") is not None:
            try:
                CONVERSION_VALUE.validate_python(properties["value"])
            except ValidationError as exc:
                problem = exc.errors(include_url=False)[0]["msg"]
                raise ValueError(f"value: {problem[0].lower()}{problem[1:]}") from None
        return properties

    @model_validator(mode="after")
    def _who(self) -> EventIn:
        who = (self.telegram_id, self.subscriber_id, self.customer_id)
        named = [v for v in who if v is not None]
        if len(named) > 1 or (not named and self.delivery_id is None):
            raise ValueError(
                "give exactly one of telegramId, subscriberId or customerId (or only deliveryId)"
            )
        return self

    @property
    def subscriber_ref(self) -> str | None:
        """The subscriber id given, by either of its names."""
        return self.subscriber_id if self.subscriber_id is not None else self.customer_id

    @property
    def conversion_value(self) -> float:
        """The amount of a conversion (0 when it carries none)."""
        return float(self.properties.get("value") or 0.0)


class EventBatch(CamelModel):
    """Several events in one call."""

    events: list[EventIn] = Field(min_length=1, max_length=1000)


class EventStatus(StrEnum):
    """What became of one reported event."""

    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"  # its eventId was seen before
    UNKNOWN_SUBSCRIBER = "unknown_subscriber"


@dataclass(frozen=True)
class EventResult:
    """One reported event's outcome; `stored_id` and sends only for an accepted one."""

    event_id: str | None
    status: EventStatus
    triggered: int = 0
    stored_id: int | None = None
    conversion: Conversion | None = None  # a conversion event, once attributed


def matches(trigger: Trigger, name: str, properties: dict[str, Any]) -> bool:
    """Event name equal, and every other condition equal to (or, for a list, among) the property."""
    for key, wanted in trigger.conditions.items():
        if key == "event":
            if wanted != name:
                return False
            continue
        value = properties.get(key)
        if isinstance(wanted, list) and value not in wanted:
            return False
        if not isinstance(wanted, list) and value != wanted:
            return False
    return True


def delay_of(trigger: Trigger) -> timedelta:
    """How long after the event the send is due."""
    if trigger.delay is None:
        return timedelta(0)
    return timedelta(seconds=trigger.delay.value * UNIT_SECONDS[trigger.delay.unit])


async def _subscriber_id(uow: UnitOfWork, tenant_id: int, item: EventIn) -> int | None:
    repo = SubscriberRepository(uow.session)
    if item.subscriber_ref is not None:
        sub_id = try_parse_id("subscriber", item.subscriber_ref)
        found = await repo.existing_ids(tenant_id, [sub_id]) if sub_id else set()
        return sub_id if sub_id in found else None
    if item.telegram_id is None:  # only a delivery: its recipient
        delivery_id = try_parse_id("delivery", item.delivery_id or "")
        owner = await ConversionRepository(uow.session).delivery(tenant_id, delivery_id or 0)
        return owner[1] if owner else None
    row = await repo.get_by_telegram_id(tenant_id, item.telegram_id)
    return row.id if row else None


def _named(kind: str, ref: str | None) -> int | None:
    """The id a reference names; 0 (nobody's) when it does not parse, None when not given."""
    return None if ref is None else (try_parse_id(kind, ref) or 0)


async def _conversion(
    uow: UnitOfWork, actor: Actor, subscriber_id: int, item: EventIn, event: TriggerEvent
) -> Conversion | None:
    """A conversion event counted on the campaign it names (or the one that reached the
    subscriber last); an id that does not parse names nothing of the tenant's."""
    named = Attribution(_named("campaign", item.campaign_id), _named("delivery", item.delivery_id))
    return await record_conversion(
        uow, actor, subscriber_id, named, item.conversion_value, event.occurred_at
    )


async def ingest(uow: UnitOfWork, actor: Actor, items: list[EventIn]) -> list[EventResult]:
    """Store each event once and plan the sends it triggers; one result per event."""
    repo = TriggerRepository(uow.session)
    schedules = await ScheduleRepository(uow.session).trigger_schedules(actor.tenant_id)
    now = uow.clock()
    results = []
    for item in items:
        subscriber_id = await _subscriber_id(uow, actor.tenant_id, item)
        if subscriber_id is None:
            results.append(EventResult(item.event_id, EventStatus.UNKNOWN_SUBSCRIBER))
            continue
        event = TriggerEvent(
            tenant_id=actor.tenant_id,
            event_key=item.event_id or f"auto:{secrets.token_hex(12)}",
            name=item.event,
            subscriber_id=subscriber_id,
            properties=item.properties,
            occurred_at=item.occurred_at or now,
            received_at=now,
        )
        if not await repo.add_event(event):
            results.append(EventResult(item.event_id, EventStatus.DUPLICATE))
            continue
        conversion = None
        if item.event == CONVERSION_EVENT:
            conversion = await _conversion(uow, actor, subscriber_id, item, event)
        triggered = 0
        for schedule in schedules:
            for raw in schedule.schedule.get("triggers", []):
                trigger = Trigger.model_validate(raw)
                if matches(trigger, item.event, item.properties):
                    due = event.occurred_at + delay_of(trigger)
                    triggered += await repo.add_job(
                        TriggerJob(schedule_id=schedule.id, event_id=event.id,
                                   subscriber_id=subscriber_id, due_at=due,
                                   status=TriggerJobStatus.PENDING)
                    )  # fmt: skip
                    break
        results.append(
            EventResult(item.event_id, EventStatus.ACCEPTED, triggered, event.id, conversion)
        )
    return results


async def run_due_jobs(uow: UnitOfWork, limit: int = 200) -> int:
    """Start the sends whose delay has passed; returns how many executions were started."""
    repo = TriggerRepository(uow.session)
    schedules, campaigns = ScheduleRepository(uow.session), CampaignRepository(uow.session)
    started = 0
    for job in await repo.due_jobs(uow.clock(), limit):
        schedule = await schedules.by_id(job.schedule_id)
        campaign = await campaigns.by_id(schedule.campaign_id) if schedule else None
        if schedule is None or campaign is None or schedule.status != ScheduleStatus.ACTIVE:
            job.status, job.detail = TriggerJobStatus.SKIPPED, "the schedule is no longer active"
            continue
        if campaign.status in NOT_RUNNING:
            job.status, job.detail = TriggerJobStatus.SKIPPED, NOT_RUNNING[campaign.status]
            continue
        try:
            execution_id = await _launch_one(uow, schedule, campaign, job.subscriber_id)
        except DomainError as exc:
            job.status, job.detail = TriggerJobStatus.FAILED, exc.message
            continue
        job.status, job.execution_id = TriggerJobStatus.DONE, execution_id
        started += 1
    return started


async def _launch_one(
    uow: UnitOfWork, schedule: Schedule, campaign: Campaign, subscriber_id: int
) -> int:
    audience = await schedule_spec(
        uow, schedule.tenant_id, target_of(schedule), campaign.target_audience
    )
    # The event's subscriber, provided they are (still) in the schedule's audience.
    spec = AudienceSpec(
        tenant_id=audience.tenant_id,
        segments=audience.segments,
        filters=audience.filters,
        subscriber_ids=(subscriber_id,)
        if audience.subscriber_ids is None or subscriber_id in audience.subscriber_ids
        else (),
    )
    plan = RunPlan(
        spec=spec,
        trigger="trigger",
        messages=await run_messages(uow, schedule),
        priority=(schedule.delivery_settings or {}).get("priority", "normal"),
        settings=run_settings(schedule),
        schedule_id=schedule.id,
    )
    execution = await launch(uow, Actor(schedule.tenant_id, "system:trigger"), campaign, plan)
    return execution.id


async def next_due(uow: UnitOfWork) -> datetime | None:
    """When the earliest pending trigger job is due."""
    return await TriggerRepository(uow.session).earliest_due()
