"""Who may win a prize draw of an engagement campaign, and the draws themselves."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import distinct, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Campaign, CampaignEvent, Subscriber
from storage.models_types import Answer, Draw


class ContestDrawRepository:
    """Participants, winners' eligibility and draw rows of engagement campaigns."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # --- who may win ---------------------------------------------------------------------

    async def participants(self, campaign_id: int, until: datetime) -> list[int]:
        """Subscriber ids with an answer or entry at or before `until`, ascending."""
        rows = await self.session.scalars(
            select(Answer.subscriber_id)
            .where(Answer.campaign_id == campaign_id, Answer.answered_at <= until)
            .distinct()
            .order_by(Answer.subscriber_id)
        )
        return list(rows)

    async def all_correct(
        self, campaign_id: int, keys: Sequence[str], until: datetime
    ) -> list[int]:
        """Subscriber ids who answered every one of `keys` correctly by `until`, ascending."""
        rows = await self.session.scalars(
            select(Answer.subscriber_id)
            .where(
                Answer.campaign_id == campaign_id,
                Answer.answered_at <= until,
                Answer.question.in_(list(keys)),
                Answer.correct.is_(True),
            )
            .group_by(Answer.subscriber_id)
            .having(func.count(distinct(Answer.question)) == len(keys))
            .order_by(Answer.subscriber_id)
        )
        return list(rows)

    # --- draws ---------------------------------------------------------------------------

    async def lock_campaign(self, campaign_id: int) -> None:
        """Take the campaign row's write lock (a no-op UPDATE) until the transaction ends."""
        await self.session.execute(  # updated_at kept: a draw is no edit of the campaign
            update(Campaign)
            .where(Campaign.id == campaign_id)
            .values(id=Campaign.id, updated_at=Campaign.updated_at)
        )

    async def add_draw(self, draw: Draw) -> Draw:
        """Insert a draw (its id set)."""
        self.session.add(draw)
        await self.session.flush()
        return draw

    async def draws(self, campaign_id: int) -> list[Draw]:
        """A campaign's draws, newest first."""
        rows = await self.session.scalars(
            select(Draw)
            .where(Draw.campaign_id == campaign_id)
            .order_by(Draw.drawn_at.desc(), Draw.id.desc())
        )
        return list(rows)

    async def draw_audits(self, campaign_id: int, event: str) -> dict[int, dict[str, Any]]:
        """{draw id: details} of the campaign's audit rows named `event`."""
        rows = await self.session.scalars(
            select(CampaignEvent.details).where(
                CampaignEvent.campaign_id == campaign_id, CampaignEvent.event == event
            )
        )
        return {int(d["drawId"]): d for d in rows if d and "drawId" in d}

    async def mark_notified(self, draw_id: int, at: datetime) -> None:
        """Stamp a draw's winners as notified."""
        await self.session.execute(update(Draw).where(Draw.id == draw_id).values(notified_at=at))

    async def subscribers(self, subscriber_ids: Sequence[int]) -> dict[int, Subscriber]:
        """Subscribers by id."""
        if not subscriber_ids:
            return {}
        rows = await self.session.scalars(
            select(Subscriber).where(Subscriber.id.in_(list(subscriber_ids)))
        )
        return {row.id: row for row in rows}
