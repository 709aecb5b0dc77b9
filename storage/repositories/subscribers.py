"""Subscribers and their tags: set-based upserts and filtered pages."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.audience import AudienceSpec, audience_ids
from storage.models import Subscriber, SubscriberTag, table_of
from storage.repositories.paging import Page, escape_like, fetch_page

UPSERT_CHUNK = 500
UPDATABLE = (
    "chat_id",
    "first_name",
    "last_name",
    "username",
    "language_code",
    "attributes",
    "timezone",
    "source",
    "updated_at",
)


class SubscriberRepository:
    """Subscriber rows of one tenant."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def _insert(self) -> Any:
        dialect = self.session.get_bind().dialect.name
        return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(Subscriber)

    async def upsert_many(
        self, tenant_id: int, rows: Sequence[dict[str, Any]], now: datetime
    ) -> list[tuple[int, int, bool]]:
        """Insert or update rows by telegram id; returns (id, telegram_id, inserted) per row.

        A row's keys are the fields it sets; `chat_id` defaults to the telegram id on insert
        only, and fields a row does not carry are never overwritten on update.
        """
        groups: dict[frozenset[str], list[dict[str, Any]]] = defaultdict(list)
        for row in rows:
            groups[frozenset(row)].append(row)
        results: list[tuple[int, int, bool]] = []
        for present, group in groups.items():
            values = [
                {
                    "chat_id": row["telegram_id"],
                    "attributes": {},
                    **row,
                    "tenant_id": tenant_id,
                    "status": "active",
                    "created_at": now,
                    "updated_at": now,
                }
                for row in group
            ]
            stmt = self._insert()
            stmt = stmt.on_conflict_do_update(
                index_elements=[Subscriber.tenant_id, Subscriber.telegram_id],
                set_={k: stmt.excluded[k] for k in UPDATABLE if k in present or k == "updated_at"},
            ).returning(Subscriber.id, Subscriber.telegram_id, Subscriber.created_at)
            for start in range(0, len(values), UPSERT_CHUNK):
                # executemany: SQLAlchemy batches the rows into multi-row statements it
                # compiles once ("insertmanyvalues"), RETURNING included.
                batch = values[start : start + UPSERT_CHUNK]
                result = await self.session.execute(stmt, batch)
                for sub_id, telegram_id, created_at in result.all():
                    results.append((sub_id, telegram_id, created_at == now))
        return results

    async def replace_tags(self, tags_by_subscriber: dict[int, list[str]]) -> None:
        """Set each listed subscriber's tags to exactly the given list."""
        ids = list(tags_by_subscriber)
        for start in range(0, len(ids), UPSERT_CHUNK):
            chunk = ids[start : start + UPSERT_CHUNK]
            await self.session.execute(
                delete(SubscriberTag).where(SubscriberTag.subscriber_id.in_(chunk))
            )
        pairs = [
            {"subscriber_id": sub_id, "tag": tag}
            for sub_id, tags in tags_by_subscriber.items()
            for tag in dict.fromkeys(tags)
        ]
        for start in range(0, len(pairs), UPSERT_CHUNK * 2):
            await self.session.execute(
                table_of(SubscriberTag).insert(), pairs[start : start + UPSERT_CHUNK * 2]
            )

    async def add(self, subscriber: Subscriber) -> Subscriber:
        """Insert one subscriber."""
        self.session.add(subscriber)
        await self.session.flush()
        return subscriber

    async def tags_for(self, subscriber_ids: Iterable[int]) -> dict[int, list[str]]:
        """Tags of the given subscribers, sorted."""
        ids = list(subscriber_ids)
        found: dict[int, list[str]] = defaultdict(list)
        if not ids:
            return found
        rows = await self.session.execute(
            select(SubscriberTag.subscriber_id, SubscriberTag.tag)
            .where(SubscriberTag.subscriber_id.in_(ids))
            .order_by(SubscriberTag.subscriber_id, SubscriberTag.tag)
        )
        for sub_id, tag in rows.all():
            found[sub_id].append(tag)
        return found

    async def get(self, tenant_id: int, subscriber_id: int) -> Subscriber | None:
        """One subscriber of the tenant."""
        return await self.session.scalar(
            select(Subscriber).where(
                Subscriber.id == subscriber_id, Subscriber.tenant_id == tenant_id
            )
        )

    async def get_by_telegram_id(self, tenant_id: int, telegram_id: int) -> Subscriber | None:
        """One subscriber of the tenant by Telegram user id."""
        return await self.session.scalar(
            select(Subscriber).where(
                Subscriber.tenant_id == tenant_id, Subscriber.telegram_id == telegram_id
            )
        )

    async def list(
        self,
        tenant_id: int,
        *,
        status: str | None,
        tag: str | None,
        search: str | None,
        offset: int,
        limit: int,
    ) -> Page[Subscriber]:
        """One page of subscribers, newest first."""
        where: list[ColumnElement[bool]] = [Subscriber.tenant_id == tenant_id]
        if status:
            where.append(Subscriber.status == status)
        if tag:
            where.append(
                Subscriber.id.in_(
                    select(SubscriberTag.subscriber_id).where(SubscriberTag.tag == tag)
                )
            )
        if search:
            pattern = f"%{escape_like(search.lower())}%"
            options: list[ColumnElement[bool]] = [
                func.lower(column).like(pattern, escape="\\")
                for column in (Subscriber.first_name, Subscriber.last_name, Subscriber.username)
            ]
            if re.fullmatch(r"-?[0-9]{1,18}", search):
                options.append(Subscriber.telegram_id == int(search))
            where.append(or_(*options))
        query = select(Subscriber).where(*where).order_by(Subscriber.id.desc())
        return await fetch_page(self.session, query, offset=offset, limit=limit)

    async def delete(self, subscriber: Subscriber) -> None:
        """Remove a subscriber and their tags and memberships."""
        await self.session.execute(delete(Subscriber).where(Subscriber.id == subscriber.id))

    async def set_status(self, subscriber_ids: Sequence[int], status: str, now: datetime) -> None:
        """Move subscribers to `status` (blocked, unsubscribed...)."""
        await self.session.execute(
            update(Subscriber)
            .where(Subscriber.id.in_(subscriber_ids))
            .values(status=status, status_changed_at=now, updated_at=now)
        )

    async def count_by_status(self, tenant_id: int) -> dict[str, int]:
        """How many subscribers the tenant has in each status."""
        rows = await self.session.execute(
            select(Subscriber.status, func.count())
            .where(Subscriber.tenant_id == tenant_id)
            .group_by(Subscriber.status)
        )
        return {status: int(count) for status, count in rows.all()}

    async def count_audience(self, spec: AudienceSpec) -> int:
        """How many subscribers an audience spec matches, counted by the database."""
        query = select(func.count()).select_from(audience_ids(spec).subquery())
        return int(await self.session.scalar(query) or 0)

    async def existing_ids(self, tenant_id: int, ids: Sequence[int]) -> set[int]:
        """Which of `ids` are this tenant's subscribers."""
        rows = await self.session.scalars(
            select(Subscriber.id).where(Subscriber.tenant_id == tenant_id, Subscriber.id.in_(ids))
        )
        return set(rows)

    async def ids_for_telegram_ids(self, tenant_id: int, telegram_ids: Sequence[int]) -> set[int]:
        """Subscriber ids of the tenant's subscribers with these Telegram ids."""
        if not telegram_ids:
            return set()
        rows = await self.session.scalars(
            select(Subscriber.id).where(
                Subscriber.tenant_id == tenant_id, Subscriber.telegram_id.in_(telegram_ids)
            )
        )
        return set(rows)

    async def personal_data(self, subscriber_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
        """Fields that personalisation variables read, per subscriber id."""
        if not subscriber_ids:
            return {}
        rows = await self.session.execute(
            select(
                Subscriber.id,
                Subscriber.first_name,
                Subscriber.last_name,
                Subscriber.username,
                Subscriber.language_code,
                Subscriber.telegram_id,
                Subscriber.attributes,
                Subscriber.timezone,
            ).where(Subscriber.id.in_(subscriber_ids))
        )
        keys = (
            "first_name", "last_name", "username", "language_code", "telegram_id", "attributes",
            "timezone",
        )  # fmt: skip
        return {row[0]: dict(zip(keys, row[1:], strict=True)) for row in rows.all()}
