"""Subscriber management: bulk upsert by Telegram id, listing, status changes."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any

from pydantic import Field, field_validator

from core.context import Actor
from core.errors import NotFoundError
from core.event_names import SUBSCRIBER_BLOCKED, UNSUBSCRIBED, USER_REGISTERED
from core.events import DomainEvent
from core.ids import parse_id
from core.interactions import attribute_opt_out
from core.models import CamelModel
from core.uow import UnitOfWork
from core.validation import (
    ChatId,
    JsonObject,
    Line,
    Omittable,
    TelegramUserId,
    TimeZoneName,
)
from storage.models import Subscriber
from storage.repositories.paging import Page
from storage.repositories.subscribers import SubscriberRepository

MAX_BATCH = 10_000


class SubscriberStatus(StrEnum):
    """Whether a subscriber can be reached."""

    ACTIVE = "active"
    UNSUBSCRIBED = "unsubscribed"
    BLOCKED = "blocked"
    DEACTIVATED = "deactivated"


# The domain event of a move to a status (a move back to active emits none).
STATUS_EVENTS = {
    SubscriberStatus.UNSUBSCRIBED: UNSUBSCRIBED,
    SubscriberStatus.BLOCKED: SUBSCRIBER_BLOCKED,
    SubscriberStatus.DEACTIVATED: SUBSCRIBER_BLOCKED,
}

Tags = Annotated[list[Line], Field(max_length=100)]


class SubscriberInput(CamelModel):
    """One subscriber to create or update (matched by telegramId)."""

    telegram_id: TelegramUserId
    # Absent: the Telegram id (private chats) on insert, unchanged on update; never null.
    chat_id: Omittable[ChatId] = None
    first_name: Line | None = Field(default=None, max_length=256)
    last_name: Line | None = Field(default=None, max_length=256)
    username: Line | None = Field(default=None, max_length=64)
    language_code: Line | None = Field(default=None, max_length=16)
    tags: Omittable[Tags] = None
    attributes: Omittable[JsonObject] = None
    timezone: TimeZoneName | None = None
    source: Line | None = Field(default=None, max_length=128)

    @field_validator("tags")
    @classmethod
    def _tags(cls, tags: list[str] | None) -> list[str] | None:
        if tags is None:
            return None
        cleaned = [t.strip() for t in tags]
        if any(not t or len(t) > 64 for t in cleaned):
            raise ValueError("each tag is 1..64 characters")
        return cleaned


class SubscriberBatch(CamelModel):
    """Body of a bulk import."""

    subscribers: list[SubscriberInput] = Field(min_length=1, max_length=MAX_BATCH)


@dataclass(frozen=True)
class ImportResult:
    """How a bulk upsert went."""

    created: int
    updated: int
    ids: list[int]


COLUMN_OF = {
    "chat_id": "chat_id",
    "first_name": "first_name",
    "last_name": "last_name",
    "username": "username",
    "language_code": "language_code",
    "attributes": "attributes",
    "timezone": "timezone",
    "source": "source",
}


async def upsert_subscribers(
    uow: UnitOfWork, actor: Actor, items: list[SubscriberInput]
) -> ImportResult:
    """Create or update subscribers by telegramId in the caller's transaction."""
    latest: dict[int, SubscriberInput] = {item.telegram_id: item for item in items}
    rows: list[dict[str, Any]] = []
    for item in latest.values():
        given = item.model_dump(exclude_unset=True)
        row: dict[str, Any] = {"telegram_id": item.telegram_id}
        row.update({COLUMN_OF[k]: v for k, v in given.items() if k in COLUMN_OF})
        rows.append(row)
    repo = SubscriberRepository(uow.session)
    results = await repo.upsert_many(actor.tenant_id, rows, uow.clock())
    by_telegram = {telegram_id: sub_id for sub_id, telegram_id, _ in results}
    tags = {
        by_telegram[item.telegram_id]: item.tags
        for item in latest.values()
        if item.tags is not None
    }
    if tags:
        await repo.replace_tags(tags)
    created = sum(1 for _, _, inserted in results if inserted)
    return ImportResult(created, len(results) - created, [sub_id for sub_id, _, _ in results])


async def get_subscriber(uow: UnitOfWork, actor: Actor, public_id: str) -> Subscriber:
    """The tenant's subscriber or CAMPAIGN-style 404."""
    subscriber = await SubscriberRepository(uow.session).get(
        actor.tenant_id, parse_id("subscriber", public_id)
    )
    if subscriber is None:
        raise NotFoundError("SUBSCRIBER_NOT_FOUND", f"No subscriber with id '{public_id}'.")
    return subscriber


async def list_subscribers(
    uow: UnitOfWork,
    actor: Actor,
    *,
    status: str | None,
    tag: str | None,
    search: str | None,
    page: int,
    limit: int,
) -> Page[Subscriber]:
    """One page of the tenant's subscribers."""
    return await SubscriberRepository(uow.session).list(
        actor.tenant_id,
        status=status,
        tag=tag,
        search=search,
        offset=(page - 1) * limit,
        limit=limit,
    )


async def tags_of(uow: UnitOfWork, subscriber_ids: list[int]) -> dict[int, list[str]]:
    """Tags of the given subscribers."""
    return await SubscriberRepository(uow.session).tags_for(subscriber_ids)


async def delete_subscriber(uow: UnitOfWork, actor: Actor, public_id: str) -> None:
    """Remove a subscriber (their past deliveries stay in the ledger)."""
    subscriber = await get_subscriber(uow, actor, public_id)
    await SubscriberRepository(uow.session).delete(subscriber)


async def counts_by_status(uow: UnitOfWork, actor: Actor) -> dict[str, int]:
    """Subscribers per status, every status present (zero when none)."""
    counts = await SubscriberRepository(uow.session).count_by_status(actor.tenant_id)
    return {status.value: counts.get(status.value, 0) for status in SubscriberStatus}


@dataclass(frozen=True)
class TelegramProfile:
    """What Telegram tells us about a user who talks to the bot."""

    telegram_id: int
    chat_id: int
    first_name: str | None
    last_name: str | None
    username: str | None
    language_code: str | None


async def register_from_bot(
    uow: UnitOfWork, tenant_id: int, profile: TelegramProfile, source: str | None
) -> tuple[Subscriber, bool]:
    """/start: create or reactivate the subscriber; returns (subscriber, was it new)."""
    repo = SubscriberRepository(uow.session)
    existing = await repo.get_by_telegram_id(tenant_id, profile.telegram_id)
    now = uow.clock()
    if existing is None:
        subscriber = Subscriber(
            tenant_id=tenant_id,
            telegram_id=profile.telegram_id,
            chat_id=profile.chat_id,
            first_name=profile.first_name,
            last_name=profile.last_name,
            username=profile.username,
            language_code=profile.language_code,
            attributes={},
            status=SubscriberStatus.ACTIVE.value,
            source=source,
            created_at=now,
            updated_at=now,
            status_changed_at=now,
        )
        await repo.add(subscriber)
    else:
        subscriber = existing
        for name in ("chat_id", "first_name", "last_name", "username", "language_code"):
            setattr(subscriber, name, getattr(profile, name))
        if subscriber.status != SubscriberStatus.ACTIVE.value:
            subscriber.status = SubscriberStatus.ACTIVE.value
            subscriber.status_changed_at = now
        if source and not subscriber.source:
            subscriber.source = source
        subscriber.updated_at = now
    await uow.flush()
    uow.emit(
        DomainEvent(
            name=USER_REGISTERED,
            tenant_id=tenant_id,
            campaign_id=None,
            actor=f"telegram:{profile.telegram_id}",
            subscriber_id=subscriber.id,
            occurred_at=now,
            data={"source": source, "new": existing is None},
        )
    )
    return subscriber, existing is None


async def change_status_from_bot(
    uow: UnitOfWork, tenant_id: int, telegram_id: int, status: SubscriberStatus
) -> Subscriber | None:
    """/stop, a block or an unblock: move the subscriber to `status` (events for opt-outs)."""
    subscriber = await SubscriberRepository(uow.session).get_by_telegram_id(tenant_id, telegram_id)
    if subscriber is None or subscriber.status == status.value:
        return subscriber
    now = uow.clock()
    subscriber.status = status.value
    subscriber.status_changed_at = now
    subscriber.updated_at = now
    await uow.flush()
    if status is SubscriberStatus.UNSUBSCRIBED:
        await attribute_opt_out(uow, tenant_id, subscriber.id)
    name = STATUS_EVENTS.get(status)
    if name is not None:
        uow.emit(
            DomainEvent(
                name=name,
                tenant_id=tenant_id,
                campaign_id=None,
                actor=f"telegram:{telegram_id}",
                subscriber_id=subscriber.id,
                occurred_at=now,
                data={"status": status.value},
            )
        )
    return subscriber
