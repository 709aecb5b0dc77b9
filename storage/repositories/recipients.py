"""Named recipients of v2 API campaigns: finding subscribers by account, the recipient rows
and the latest ledger row of each."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, false, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import CampaignType
from storage.models import Campaign, CampaignRecipient, Delivery, Execution, Subscriber, table_of


@dataclass(frozen=True)
class Found:
    """A subscriber an account named."""

    id: int
    telegram_id: int
    status: str


@dataclass(frozen=True)
class RecipientState:
    """A recipient row with its latest ledger row (None before its campaign ran)."""

    recipient: CampaignRecipient
    status: str | None
    error_code: str | None
    error_detail: str | None
    message_id: int | None
    processed_at: datetime | None


def _found(rows: Any) -> list[Found]:
    return [Found(int(i), int(t), str(s)) for i, t, s in rows]


class SubscriberAccounts:
    """Subscribers of one tenant by Telegram id, @username or shared phone number."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def _select(self, tenant_id: int) -> Any:
        return select(Subscriber.id, Subscriber.telegram_id, Subscriber.status).where(
            Subscriber.tenant_id == tenant_id
        )

    async def by_telegram_ids(self, tenant_id: int, ids: Sequence[int]) -> dict[int, Found]:
        """Found subscribers by Telegram id."""
        if not ids:
            return {}
        rows = await self.session.execute(
            self._select(tenant_id).where(Subscriber.telegram_id.in_(sorted(set(ids))))
        )
        return {found.telegram_id: found for found in _found(rows.all())}

    async def by_usernames(self, tenant_id: int, names: Sequence[str]) -> dict[str, Found]:
        """Found subscribers by lower-cased username (without the @)."""
        if not names:
            return {}
        query = self._select(tenant_id).add_columns(func.lower(Subscriber.username))
        rows = await self.session.execute(
            query.where(func.lower(Subscriber.username).in_(sorted(set(names))))
        )
        return {str(name): Found(int(i), int(t), str(s)) for i, t, s, name in rows.all()}

    async def by_phones(self, tenant_id: int, phones: Sequence[str]) -> dict[str, Found]:
        """Found subscribers by normalised phone number; the newest share wins a tie."""
        if not phones:
            return {}
        query = self._select(tenant_id).add_columns(Subscriber.phone)
        rows = await self.session.execute(
            query.where(Subscriber.phone.in_(sorted(set(phones)))).order_by(Subscriber.updated_at)
        )
        return {str(phone): Found(int(i), int(t), str(s)) for i, t, s, phone in rows.all()}

    async def set_phone(self, tenant_id: int, telegram_id: int, phone: str, now: datetime) -> bool:
        """Store the phone a subscriber shared; False if no such subscriber."""
        result = await self.session.execute(
            update(Subscriber)
            .where(Subscriber.tenant_id == tenant_id, Subscriber.telegram_id == telegram_id)
            .values(phone=phone, updated_at=now)
            .returning(Subscriber.id)
        )
        return result.first() is not None


class RecipientRepository:
    """Recipient rows of v2 campaigns."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add_many(self, rows: Sequence[dict[str, Any]]) -> None:
        """Insert recipient rows (one statement)."""
        if rows:
            await self.session.execute(table_of(CampaignRecipient).insert(), list(rows))

    async def by_key(self, tenant_id: int, message_key: str) -> CampaignRecipient | None:
        """The tenant's recipient with this message key, locked for a resend."""
        return await self.session.scalar(
            select(CampaignRecipient)
            .where(
                CampaignRecipient.tenant_id == tenant_id,
                CampaignRecipient.message_key == message_key,
            )
            .with_for_update()
        )

    async def campaigns(self, tenant_id: int, limit: int | None) -> list[Campaign]:
        """The tenant's v2 campaigns, newest first."""
        query = (
            select(Campaign)
            .where(Campaign.tenant_id == tenant_id, Campaign.type == CampaignType.BOT_API.value)
            .order_by(Campaign.created_at.desc(), Campaign.id.desc())
        )
        if limit is not None:
            query = query.limit(limit)
        return list(await self.session.scalars(query))

    async def states(
        self, campaign_ids: Sequence[int], limit: int | None = None
    ) -> list[RecipientState]:
        """Each recipient of the campaigns with its latest non-test ledger row, in order."""
        if not campaign_ids:
            return []
        latest = (
            select(func.max(Delivery.id))
            .join(Execution, Execution.id == Delivery.execution_id)
            .where(
                Execution.campaign_id == CampaignRecipient.campaign_id,
                Execution.test_mode == false(),
                Delivery.subscriber_id == CampaignRecipient.subscriber_id,
            )
            .scalar_subquery()
        )
        query = (
            select(
                CampaignRecipient,
                Delivery.status,
                Delivery.error_code,
                Delivery.error_detail,
                Delivery.message_id,
                Delivery.processed_at,
            )
            .outerjoin(
                Delivery, and_(CampaignRecipient.subscriber_id.is_not(None), Delivery.id == latest)
            )
            .where(CampaignRecipient.campaign_id.in_(list(campaign_ids)))
            .order_by(CampaignRecipient.campaign_id, CampaignRecipient.position)
        )
        if limit is not None:
            query = query.limit(limit)
        rows = await self.session.execute(query)
        return [RecipientState(*row) for row in rows.all()]

    async def mark_resent(self, recipient: CampaignRecipient, now: datetime) -> None:
        """Remember the one resend a message gets (and whom it now resolves to)."""
        recipient.resent_at = now
        await self.session.flush()
