"""ORM models the campaign types add: survey and quiz answers, and prize draws."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import AUTOINCREMENT, Base
from storage.types import BigIntPK, JSONType, UTCDateTime, utcnow


class Answer(Base):
    """One recipient's answer to one question of a survey (data_collection) or quiz
    (engagement); a skipped question is an answer whose `value` is None."""

    __tablename__ = "answers"
    __table_args__ = (
        UniqueConstraint("delivery_id", "question"),
        Index(None, "campaign_id", "question"),
        Index(None, "subscriber_id", "answered_at"),
        AUTOINCREMENT,
    )
    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    delivery_id: Mapped[int] = mapped_column(ForeignKey("deliveries.id", ondelete="CASCADE"))
    subscriber_id: Mapped[int] = mapped_column(BigInteger)
    question: Mapped[str] = mapped_column(String(64))  # the question's key in the settings
    value: Mapped[Any] = mapped_column(JSONType, nullable=True)
    correct: Mapped[bool | None] = mapped_column(Boolean)  # quizzes only
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Draw(Base):
    """A prize draw among a campaign's eligible participants, with the seed that made it."""

    __tablename__ = "draws"
    __table_args__ = (Index(None, "campaign_id", "drawn_at"), AUTOINCREMENT)
    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    seed: Mapped[str] = mapped_column(String(64))
    requested: Mapped[int] = mapped_column(Integer)
    eligible: Mapped[int] = mapped_column(Integer)
    # Subscriber ids in the order drawn.
    winners: Mapped[list[int]] = mapped_column(JSONType, default=list)
    drawn_by: Mapped[str | None] = mapped_column(String(128))
    drawn_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
