"""Quiz answers and challenge entries of engagement campaigns; draws: contest_draws."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, case, distinct, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from core.lifecycle import DeliveryStatus
from core.models import InteractionType
from storage.models import Campaign, Delivery, Execution, Interaction, Subscriber
from storage.models_types import Answer

# deliveries.ref of a quiz whose next question is being sent (never a poll id), followed by
# ":<epoch seconds>" of the claim so that a claim left by a crashed process can be retaken.
STARTING = "quiz:starting"


def starting_ref(epoch: int) -> str:
    """The ref of a question claimed for sending at `epoch` (seconds)."""
    return f"{STARTING}:{epoch}"


def claimed_at(ref: str | None) -> int | None:
    """The epoch second of a STARTING claim (0 for the bare legacy marker), None otherwise."""
    if ref == STARTING:
        return 0
    if ref is None or not ref.startswith(STARTING + ":"):
        return None
    stamp = ref.removeprefix(STARTING + ":")
    return int(stamp) if stamp.isdigit() else 0


@dataclass(frozen=True)
class ContestDelivery:
    """A delivery of an engagement campaign, with what answering it needs."""

    delivery_id: int
    tenant_id: int
    campaign_id: int
    campaign_type: str
    settings: dict[str, Any] | None
    subscriber_id: int
    telegram_id: int
    chat_id: int
    status: str
    test_mode: bool
    ref: str | None
    campaign_status: str
    end_date: datetime | None


@dataclass(frozen=True)
class QuestionCounts:
    """Answers to one question and how many were correct."""

    question: str
    answers: int
    correct: int


def _delivery_query() -> Select[Any]:
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
            Delivery.status,
            Execution.test_mode,
            Delivery.ref,
            Campaign.status,
            Campaign.end_date,
        )
        .join(Execution, Execution.id == Delivery.execution_id)
        .join(Campaign, Campaign.id == Execution.campaign_id)
        .join(Subscriber, Subscriber.id == Delivery.subscriber_id)
    )


class ContestRepository:
    """Contest deliveries, answers, entries and their figures (draws: ContestDrawRepository)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def _one(self, query: Select[Any]) -> ContestDelivery | None:
        row = (await self.session.execute(query)).first()
        return None if row is None else ContestDelivery(*row)

    async def delivery(self, delivery_id: int) -> ContestDelivery | None:
        """A delivery by id."""
        return await self._one(_delivery_query().where(Delivery.id == delivery_id))

    async def delivery_of_poll(self, poll_id: str, campaign_type: str) -> ContestDelivery | None:
        """The delivery whose current quiz poll is `poll_id` (deliveries.ref)."""
        return await self._one(
            _delivery_query().where(Delivery.ref == poll_id, Campaign.type == campaign_type)
        )

    async def claim_start(self, delivery_id: int, current: str | None, claim: str) -> bool:
        """Swap a sent delivery's ref `current` (its quiz poll, or a stale claim) for `claim`
        (a question is being sent); True only for the press that swapped it (two presses
        never send two questions)."""
        same = Delivery.ref.is_(None) if current is None else Delivery.ref == current
        result = await self.session.execute(
            update(Delivery)
            .where(Delivery.id == delivery_id, same, Delivery.status == DeliveryStatus.SENT)
            .values(ref=claim)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]  # an UPDATE returns a CursorResult

    async def set_ref(self, delivery_id: int, ref: str | None) -> None:
        """The delivery's current quiz poll (None: not started)."""
        await self.session.execute(
            update(Delivery).where(Delivery.id == delivery_id).values(ref=ref)
        )

    async def answered(self, delivery_id: int) -> dict[str, bool | None]:
        """{question key: correct} of a delivery's answers (entries included)."""
        rows = await self.session.execute(
            select(Answer.question, Answer.correct).where(Answer.delivery_id == delivery_id)
        )
        return {question: correct for question, correct in rows.all()}

    async def add_answer(self, values: dict[str, Any]) -> bool:
        """Insert an answers row; False if the delivery already answered that question."""
        dialect = self.session.get_bind().dialect.name
        insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(Answer)
        rows = await self.session.execute(
            insert.values(**values)
            .on_conflict_do_nothing(index_elements=["delivery_id", "question"])
            .returning(Answer.id)
        )
        return rows.first() is not None

    async def lock_delivery(self, delivery_id: int) -> None:
        """Take the delivery row's write lock (a no-op UPDATE): on PostgreSQL a row lock, on
        SQLite the database's write lock, so the check that follows cannot race."""
        await self.session.execute(
            update(Delivery).where(Delivery.id == delivery_id).values(id=Delivery.id)
        )

    async def converted(self, delivery_id: int) -> bool:
        """Whether the delivery has a CONVERTED interaction already."""
        found = await self.session.scalar(
            select(Interaction.id)
            .where(
                Interaction.delivery_id == delivery_id,
                Interaction.type == InteractionType.CONVERTED,
            )
            .limit(1)
        )
        return found is not None

    async def count_click(self, campaign_id: int) -> None:
        """One more recipient clicked (entered)."""
        await self.session.execute(
            update(Campaign)
            .where(Campaign.id == campaign_id)
            # A counter, not an edit: updatedAt stays.
            .values(clicked_count=Campaign.clicked_count + 1, updated_at=Campaign.updated_at)
            .execution_options(synchronize_session=False)
        )

    # --- statistics ----------------------------------------------------------------------

    async def participant_count(self, campaign_id: int, since: datetime | None) -> int:
        """Distinct subscribers with an answer or entry since `since`."""
        query = select(func.count(distinct(Answer.subscriber_id))).where(
            Answer.campaign_id == campaign_id
        )
        if since is not None:
            query = query.where(Answer.answered_at >= since)
        return int(await self.session.scalar(query) or 0)

    async def per_question(self, campaign_id: int, since: datetime | None) -> list[QuestionCounts]:
        """Answers and correct answers per question key (entries included as `_entry`)."""
        query = (
            select(
                Answer.question,
                func.count(),
                func.sum(case((Answer.correct.is_(True), 1), else_=0)),
            )
            .where(Answer.campaign_id == campaign_id)
            .group_by(Answer.question)
        )
        if since is not None:
            query = query.where(Answer.answered_at >= since)
        rows = await self.session.execute(query)
        return [QuestionCounts(q, int(n), int(c or 0)) for q, n, c in rows.all()]

    async def finishers(
        self, campaign_id: int, keys: Sequence[str], since: datetime | None
    ) -> tuple[int, int]:
        """(subscribers who answered all `keys`, of whom all correctly), answers since `since`."""
        per_subscriber = (
            select(
                Answer.subscriber_id,
                func.count(distinct(Answer.question)).label("answered"),
                func.sum(case((Answer.correct.is_(True), 1), else_=0)).label("right"),
            )
            .where(Answer.campaign_id == campaign_id, Answer.question.in_(list(keys)))
            .group_by(Answer.subscriber_id)
        )
        if since is not None:
            per_subscriber = per_subscriber.where(Answer.answered_at >= since)
        sub = per_subscriber.subquery()
        done = sub.c.answered == len(keys)
        row = (
            await self.session.execute(
                select(
                    func.sum(case((done, 1), else_=0)),
                    func.sum(case((done & (sub.c.right == len(keys)), 1), else_=0)),
                )
            )
        ).one()
        return int(row[0] or 0), int(row[1] or 0)
