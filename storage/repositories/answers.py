"""Survey answers (data_collection) and the lookups that find a recipient's survey."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import String, and_, cast, delete, exists, func, null, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.lifecycle import DeliveryStatus
from core.lifecycle.campaigns import Status
from core.models import CampaignType, InteractionType
from storage.models import Campaign, Delivery, Execution, Interaction, Subscriber
from storage.models_types import Answer

# How many of a subscriber's newest surveys are looked at for an unfinished one.
OPEN_LOOKBACK = 5
# Ledger statuses of a message that may have reached the recipient.
REACHED = (DeliveryStatus.SENT, DeliveryStatus.SENDING, DeliveryStatus.UNKNOWN)


@dataclass(frozen=True)
class SurveyDelivery:
    """A survey delivery of a real run, with what answering it needs."""

    delivery_id: int
    tenant_id: int
    campaign_id: int
    campaign_type: str
    settings: dict[str, Any] | None
    subscriber_id: int
    telegram_id: int
    chat_id: int
    campaign_status: str = Status.ACTIVE.value
    ends_at: datetime | None = None
    sent_at: datetime | None = None  # None while the ledger has not learnt of the send


def question_ref(message_id: int) -> str:
    """The delivery's ref while its current question is a message (a poll keeps its id)."""
    return f"q:{message_id}"


@dataclass(frozen=True)
class Respondent:
    """A delivery whose recipient answered at least one question."""

    delivery_id: int
    subscriber_id: int
    started_at: datetime
    last_answered_at: datetime


def _completion() -> Any:
    """The survey's own completion marker (an API conversion of the delivery is not one)."""
    return and_(
        Interaction.type == InteractionType.CONVERTED,
        Interaction.details["survey"].as_string() == "completed",
    )


def _not_completed() -> Any:
    return ~exists().where(Interaction.delivery_id == Delivery.id, _completion())


class SurveyAnswerRepository:
    """Answer rows of surveys; quizzes keep theirs through their own repository."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def _deliveries(self) -> Any:
        return (
            select(
                Delivery.id,
                Execution.tenant_id,
                Execution.campaign_id,
                Campaign.type,
                Campaign.settings,
                Delivery.subscriber_id,
                Subscriber.telegram_id,
                Delivery.chat_id,
                Campaign.status,
                Campaign.end_date,
                Delivery.processed_at,
            )
            .join(Execution, Execution.id == Delivery.execution_id)
            .join(Campaign, Campaign.id == Execution.campaign_id)
            .join(Subscriber, Subscriber.id == Delivery.subscriber_id)
            .where(Execution.test_mode.is_(False))
        )

    async def delivery(self, delivery_id: int) -> SurveyDelivery | None:
        """The delivery of a real run (test sends are never answered), of any type."""
        row = (
            await self.session.execute(self._deliveries().where(Delivery.id == delivery_id))
        ).first()
        return None if row is None else SurveyDelivery(*row)

    async def by_ref(self, ref: str) -> SurveyDelivery | None:
        """The survey delivery whose newest poll has this id."""
        query = self._deliveries().where(
            Delivery.ref == ref, Campaign.type == CampaignType.DATA_COLLECTION
        )
        row = (await self.session.execute(query.limit(1))).first()
        return None if row is None else SurveyDelivery(*row)

    async def by_message(
        self, tenant_id: int, telegram_id: int, chat_id: int, message_id: int
    ) -> SurveyDelivery | None:
        """The subscriber's survey delivery that asked a question in this message (its first
        question's message, or the newest question's, kept in the ref)."""
        query = self._deliveries().where(
            Campaign.tenant_id == tenant_id,
            Campaign.type == CampaignType.DATA_COLLECTION,
            Subscriber.telegram_id == telegram_id,
            Delivery.chat_id == chat_id,
            or_(Delivery.message_id == message_id, Delivery.ref == question_ref(message_id)),
        )
        row = (await self.session.execute(query.order_by(Delivery.id.desc()).limit(1))).first()
        return None if row is None else SurveyDelivery(*row)

    async def unfinished_for(
        self, tenant_id: int, telegram_id: int, now: datetime, sent_after: datetime
    ) -> list[SurveyDelivery]:
        """The subscriber's newest survey deliveries still open (not completed, campaign not
        cancelled nor ended, sent after `sent_after`), newest first."""
        query = (
            self._deliveries()
            .where(
                Campaign.tenant_id == tenant_id,
                Campaign.type == CampaignType.DATA_COLLECTION,
                Campaign.status != Status.CANCELLED,
                or_(Campaign.end_date.is_(None), Campaign.end_date > now),
                Subscriber.tenant_id == tenant_id,
                Subscriber.telegram_id == telegram_id,
                # Not only SENT: the ledger learns of a send a moment after the recipient
                # may already be typing the answer to its question.
                Delivery.status.in_(REACHED),
                or_(Delivery.processed_at.is_(None), Delivery.processed_at > sent_after),
                _not_completed(),
            )
            .order_by(Delivery.id.desc())
            .limit(OPEN_LOOKBACK)
        )
        return [SurveyDelivery(*row) for row in (await self.session.execute(query)).all()]

    async def lock(self, delivery_id: int) -> None:
        """Take the delivery row's write lock (SQLite: the database's) before a check-then-add."""
        await self.session.execute(
            update(Delivery)
            .where(Delivery.id == delivery_id)
            .values(id=Delivery.id)
            .execution_options(synchronize_session=False)
        )

    async def is_completed(self, delivery_id: int) -> bool:
        """Whether the delivery's survey has its completion marker."""
        found = await self.session.scalar(
            select(Interaction.id).where(Interaction.delivery_id == delivery_id, _completion())
        )
        return found is not None

    async def answers(self, delivery_id: int) -> dict[str, Any]:
        """The delivery's answers by question key (None: skipped)."""
        rows = await self.session.execute(
            select(Answer.question, Answer.value).where(Answer.delivery_id == delivery_id)
        )
        return {question: value for question, value in rows.all()}

    async def add(self, found: SurveyDelivery, question: str, value: Any, now: datetime) -> bool:
        """Store one answer; False when that question already has one (a concurrent press)."""
        answer = Answer(
            tenant_id=found.tenant_id,
            campaign_id=found.campaign_id,
            delivery_id=found.delivery_id,
            subscriber_id=found.subscriber_id,
            question=question,
            # SQL NULL rather than JSON null: a skip is found with IS NULL.
            value=null() if value is None else value,
            answered_at=now,
        )
        try:
            async with self.session.begin_nested():
                self.session.add(answer)
        except IntegrityError:
            return False
        return True

    async def remove(self, delivery_id: int, question: str) -> None:
        """Forget the answer to one question (the recipient went back to it)."""
        await self.session.execute(
            delete(Answer).where(Answer.delivery_id == delivery_id, Answer.question == question)
        )

    async def set_ref(self, delivery_id: int, ref: str) -> None:
        """Keep the id of the poll just sent for the delivery, so its answer finds it."""
        await self.session.execute(
            update(Delivery).where(Delivery.id == delivery_id).values(ref=ref)
        )

    async def converted(self, delivery_ids: Sequence[int]) -> dict[int, datetime]:
        """When each of these deliveries completed its survey (its completion marker)."""
        if not delivery_ids:
            return {}
        rows = await self.session.execute(
            select(Interaction.delivery_id, func.min(Interaction.occurred_at))
            .where(Interaction.delivery_id.in_(delivery_ids), _completion())
            .group_by(Interaction.delivery_id)
        )
        return {delivery_id: at for delivery_id, at in rows.all() if delivery_id is not None}

    async def respondents(
        self, campaign_id: int, offset: int, limit: int
    ) -> tuple[list[Respondent], int]:
        """A page of the campaign's deliveries with answers (oldest first) and their total."""
        total = await self.session.scalar(
            select(func.count(func.distinct(Answer.delivery_id))).where(
                Answer.campaign_id == campaign_id
            )
        )
        rows = await self.session.execute(
            select(
                Answer.delivery_id,
                func.min(Answer.subscriber_id),
                func.min(Answer.answered_at),
                func.max(Answer.answered_at),
            )
            .where(Answer.campaign_id == campaign_id)
            .group_by(Answer.delivery_id)
            .order_by(Answer.delivery_id)
            .offset(offset)
            .limit(limit)
        )
        return [Respondent(*row) for row in rows.all()], int(total or 0)

    async def answers_of(self, delivery_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
        """The answers of several deliveries, by delivery and question key."""
        found: dict[int, dict[str, Any]] = {d: {} for d in delivery_ids}
        if delivery_ids:
            rows = await self.session.execute(
                select(Answer.delivery_id, Answer.question, Answer.value).where(
                    Answer.delivery_id.in_(delivery_ids)
                )
            )
            for delivery_id, question, value in rows.all():
                found[delivery_id][question] = value
        return found

    async def tallies(
        self, campaign_id: int, since: datetime | None, grouped: Sequence[str]
    ) -> tuple[dict[str, tuple[int, int]], dict[str, list[tuple[Any, int]]]]:
        """(answered, skipped) per question; and for the `grouped` questions each distinct
        value with its count."""
        where = [Answer.campaign_id == campaign_id]
        if since is not None:
            where.append(Answer.answered_at >= since)
        counts: dict[str, tuple[int, int]] = {}
        rows = await self.session.execute(
            select(Answer.question, func.count(), func.count(Answer.value))
            .where(*where)
            .group_by(Answer.question)
        )
        for question, every, answered in rows.all():
            counts[question] = (int(answered), int(every) - int(answered))
        values: dict[str, list[tuple[Any, int]]] = {}
        if grouped:
            text = cast(Answer.value, String)
            by_value = await self.session.execute(
                select(Answer.question, text, func.count())
                .where(*where, Answer.question.in_(grouped), Answer.value.is_not(None))
                .group_by(Answer.question, text)
            )
            for question, raw, count in by_value.all():
                values.setdefault(question, []).append((json.loads(raw), int(count)))
        return counts, values

    async def started(self, campaign_id: int, since: datetime | None) -> int:
        """Deliveries with at least one answer."""
        query = select(func.count(func.distinct(Answer.delivery_id))).where(
            Answer.campaign_id == campaign_id
        )
        if since is not None:
            query = query.where(Answer.answered_at >= since)
        return int(await self.session.scalar(query) or 0)

    async def completed(self, campaign_id: int, since: datetime | None) -> int:
        """Deliveries whose survey was completed (their completion marker)."""
        query = select(func.count(func.distinct(Interaction.delivery_id))).where(
            Interaction.campaign_id == campaign_id, _completion()
        )
        if since is not None:
            query = query.where(Interaction.occurred_at >= since)
        return int(await self.session.scalar(query) or 0)
