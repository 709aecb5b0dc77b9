"""Subscriber management: bulk upsert by Telegram id, listing, status changes."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pydantic import Field, field_validator

from core.context import Actor
from core.errors import NotFoundError
from core.ids import parse_id
from core.models import CamelModel, check_timezone
from core.uow import UnitOfWork
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


class SubscriberInput(CamelModel):
    """One subscriber to create or update (matched by telegramId)."""

    telegram_id: int = Field(gt=0, lt=2**53)
    chat_id: int | None = None
    first_name: str | None = Field(default=None, max_length=256)
    last_name: str | None = Field(default=None, max_length=256)
    username: str | None = Field(default=None, max_length=64)
    language_code: str | None = Field(default=None, max_length=16)
    tags: list[str] | None = Field(default=None, max_length=100)
    attributes: dict[str, Any] | None = None
    timezone: str | None = None
    source: str | None = Field(default=None, max_length=128)

    _tz = field_validator("timezone")(check_timezone)

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
        row.setdefault("chat_id", item.telegram_id)
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
