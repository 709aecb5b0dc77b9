"""ORM models: the durable shape of tenants, audiences, campaigns and the delivery ledger."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from core.lifecycle import (
    DELIVERY_INITIAL,
    EXECUTION_INITIAL,
    DeliveryStatus,
    ExecutionStatus,
    Status,
)
from storage.types import BigIntPK, JSONType, UTCDateTime, utcnow

# SQLite hands a deleted row's id (the highest rowid) to the next insert unless the table is
# AUTOINCREMENT; ids are public, so a deleted resource's id must never name a new one.
AUTOINCREMENT = {"sqlite_autoincrement": True}

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base with stable constraint names (alembic needs them)."""

    metadata = MetaData(naming_convention=NAMING)


def status_check(statuses: Iterable[str]) -> CheckConstraint:
    """CHECK that the table's `status` is one of `statuses` (named ck_<table>_status)."""
    listed = ", ".join(f"'{status}'" for status in statuses)
    return CheckConstraint(f"status IN ({listed})", name="status")


def table_of(model: type[Base]) -> Table:
    """The model's Core table, for Core INSERT/UPDATE/DELETE without the ORM's bookkeeping.

    Declarative types `__table__` as a FromClause; every model here maps a plain Table.
    """
    table = model.__table__
    assert isinstance(table, Table), f"{model.__name__} is not mapped to a Table"
    return table


class Tenant(Base):
    """An organisation; every other row belongs to exactly one."""

    __tablename__ = "tenants"
    __table_args__ = (AUTOINCREMENT,)
    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ApiKey(Base):
    """An API key; only its SHA-256 digest is stored."""

    __tablename__ = "api_keys"
    __table_args__ = (AUTOINCREMENT,)
    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    auto_generated: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Subscriber(Base):
    """A Telegram user who started the bot (or was imported) within one tenant."""

    __tablename__ = "subscribers"
    __table_args__ = (
        UniqueConstraint("tenant_id", "telegram_id"),
        Index(None, "tenant_id", "status", "id"),
        Index(None, "tenant_id", "phone"),
        AUTOINCREMENT,
    )
    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    telegram_id: Mapped[int] = mapped_column(BigInteger)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    first_name: Mapped[str | None] = mapped_column(String(256))
    last_name: Mapped[str | None] = mapped_column(String(256))
    username: Mapped[str | None] = mapped_column(String(64))
    language_code: Mapped[str | None] = mapped_column(String(16))
    attributes: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    timezone: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="active")
    source: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    status_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # "+<digits>", shared by the subscriber with the bot's request_contact button.
    phone: Mapped[str | None] = mapped_column(String(32))


class SubscriberTag(Base):
    """One tag of one subscriber: a table, so tag filters stay set-based and indexed."""

    __tablename__ = "subscriber_tags"
    __table_args__ = (Index(None, "tag", "subscriber_id"),)
    subscriber_id: Mapped[int] = mapped_column(
        ForeignKey("subscribers.id", ondelete="CASCADE"), primary_key=True
    )
    tag: Mapped[str] = mapped_column(String(64), primary_key=True)


class Segment(Base):
    """A named audience: static members or filter rules evaluated in SQL."""

    __tablename__ = "segments"
    __table_args__ = (Index(None, "tenant_id", "created_at"), AUTOINCREMENT)
    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(16))
    rules: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class SegmentMember(Base):
    """Membership of a subscriber in a static segment."""

    __tablename__ = "segment_members"
    __table_args__ = (Index(None, "subscriber_id"),)
    segment_id: Mapped[int] = mapped_column(
        ForeignKey("segments.id", ondelete="CASCADE"), primary_key=True
    )
    subscriber_id: Mapped[int] = mapped_column(
        ForeignKey("subscribers.id", ondelete="CASCADE"), primary_key=True
    )


class Campaign(Base):
    """A marketing campaign with its content, audience and denormalised counters."""

    __tablename__ = "campaigns"
    __table_args__ = (
        Index(None, "tenant_id", "created_at", "id"),
        Index(None, "tenant_id", "status", "created_at", "id"),
        Index(None, "tenant_id", "type", "created_at", "id"),
        Index(None, "tenant_id", "club_id", "created_at", "id"),
        status_check(Status),
        AUTOINCREMENT,
    )
    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    club_id: Mapped[str | None] = mapped_column(String(64))  # the tenant API's sub-scope
    type: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default=Status.DRAFT.value)
    goals: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    target_audience: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    strategy: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    messages: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    workflow: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    budget: Mapped[float | None] = mapped_column(Float)
    start_date: Mapped[datetime | None] = mapped_column(UTCDateTime)
    end_date: Mapped[datetime | None] = mapped_column(UTCDateTime)
    scheduled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    timezone: Mapped[str | None] = mapped_column(String(64))
    allow_paid_broadcast: Mapped[bool] = mapped_column(Boolean, default=False)
    # What the campaign's type needs beyond its messages (core/campaign_types/<type>.py).
    settings: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    # Why the system paused it (e.g. BUDGET_EXHAUSTED); None when a person did or it runs.
    pause_reason: Mapped[str | None] = mapped_column(String(32))
    created_by: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    target_count: Mapped[int] = mapped_column(Integer, default=0)
    sent_count: Mapped[int] = mapped_column(Integer, default=0)
    failed_count: Mapped[int] = mapped_column(Integer, default=0)
    clicked_count: Mapped[int] = mapped_column(Integer, default=0)
    converted_count: Mapped[int] = mapped_column(Integer, default=0)
    revenue: Mapped[float] = mapped_column(Float, default=0.0)
    cost: Mapped[float] = mapped_column(Float, default=0.0)
    executions_total: Mapped[int] = mapped_column(Integer, default=0)
    executions_completed: Mapped[int] = mapped_column(Integer, default=0)
    executions_failed: Mapped[int] = mapped_column(Integer, default=0)


class Execution(Base):
    """One run of a campaign; its audience is snapshotted into deliveries."""

    __tablename__ = "executions"
    __table_args__ = (
        Index(None, "campaign_id", "created_at"),
        Index(None, "status"),
        status_check(ExecutionStatus),
        AUTOINCREMENT,
    )
    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16), default=EXECUTION_INITIAL.value)
    trigger: Mapped[str] = mapped_column(String(16), default="manual")
    test_mode: Mapped[bool] = mapped_column(Boolean, default=False)
    target_percentage: Mapped[int] = mapped_column(SmallInteger, default=100)
    priority: Mapped[int] = mapped_column(SmallInteger, default=0)
    scheduled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    total: Mapped[int] = mapped_column(Integer, default=0)
    failure_reason: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    failed_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    unknown_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    skipped_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    paid_broadcast: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    # Content snapshot of this run (templates of a schedule); None means the campaign's messages.
    messages: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONType)
    schedule_id: Mapped[int | None] = mapped_column(BigInteger)
    settings: Mapped[dict[str, Any] | None] = mapped_column(JSONType)


class Delivery(Base):
    """The ledger: one row per recipient of one execution."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("execution_id", "subscriber_id"),
        Index(None, "execution_id", "status", "id"),
        Index(None, "execution_id", "processed_at"),
        Index(None, "subscriber_id", "processed_at"),  # an opt-out's latest message
        status_check(DeliveryStatus),
        AUTOINCREMENT,
    )
    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    execution_id: Mapped[int] = mapped_column(ForeignKey("executions.id", ondelete="CASCADE"))
    subscriber_id: Mapped[int] = mapped_column(BigInteger)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    variation: Mapped[int] = mapped_column(SmallInteger, default=0)
    status: Mapped[str] = mapped_column(String(8), default=DELIVERY_INITIAL.value)
    attempts: Mapped[int] = mapped_column(SmallInteger, default=0)
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    error_code: Mapped[str | None] = mapped_column(String(32))
    error_detail: Mapped[str | None] = mapped_column(String(255))
    not_before: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(40))
    clicked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # What the type's policy made for this recipient: an invite link, a poll id.
    ref: Mapped[str | None] = mapped_column(String(128), index=True)
    # Stars spent on it (paid broadcast); 0 for free sends.
    cost: Mapped[float] = mapped_column(Float, server_default="0")


class CampaignEvent(Base):
    """An audit record of one lifecycle transition."""

    __tablename__ = "campaign_events"
    __table_args__ = (Index(None, "campaign_id", "occurred_at"), AUTOINCREMENT)
    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    execution_id: Mapped[int | None] = mapped_column(BigInteger)
    event: Mapped[str] = mapped_column(String(48))
    action: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(128))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    details: Mapped[dict[str, Any] | None] = mapped_column(JSONType)


class Interaction(Base):
    """A tracked recipient action (click, answer, conversion, unsubscribe) on a campaign."""

    __tablename__ = "interactions"
    __table_args__ = (Index(None, "campaign_id", "type", "occurred_at"), AUTOINCREMENT)
    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    delivery_id: Mapped[int | None] = mapped_column(BigInteger)
    subscriber_id: Mapped[int | None] = mapped_column(BigInteger)
    type: Mapped[str] = mapped_column(String(16))
    value: Mapped[float | None] = mapped_column(Float)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    details: Mapped[dict[str, Any] | None] = mapped_column(JSONType)


class Worker(Base):
    """A running sender process; its heartbeat tells others whether its claims are alive."""

    __tablename__ = "workers"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    heartbeat_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# Every sort of GET /campaigns walks an index and stops after one page; status and type sort
# through the (tenant_id, status|type, created_at, id) indexes above.
Index(None, Campaign.tenant_id, Campaign.updated_at, Campaign.id)
Index(None, Campaign.tenant_id, Campaign.name, Campaign.id)
Index(None, Campaign.tenant_id, Campaign.start_date, Campaign.id)
Index(None, Campaign.tenant_id, Campaign.end_date, Campaign.id)
Index(None, Campaign.tenant_id, Campaign.budget, Campaign.id)


class CampaignCount(Base):
    """How many campaigns a tenant has per status and type; kept exact by database triggers.

    `version` grows with every change of the group's membership (insert, delete, status, type,
    name or description), so a cached search count is valid while the versions are unchanged.
    """

    __tablename__ = "campaign_counts"
    tenant_id: Mapped[int] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    status: Mapped[str] = mapped_column(String(16), primary_key=True)
    type: Mapped[str] = mapped_column(String(32), primary_key=True)
    n: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[int] = mapped_column(BigInteger, default=0)


class CampaignRecipient(Base):
    """One `Clients[]` entry of a v2 API campaign: the account as given, its positional
    params, its stable message key, and whom it resolved to (or why it could not)."""

    __tablename__ = "campaign_recipients"
    __table_args__ = (UniqueConstraint("message_key"),)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)  # index in Clients[]
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    account_id: Mapped[str] = mapped_column(String(128))
    params: Mapped[list[str]] = mapped_column(JSONType, default=list)
    message_key: Mapped[str] = mapped_column(String(32))
    subscriber_id: Mapped[int | None] = mapped_column(BigInteger)
    # Why it was never sent (unresolvable account, duplicate); None once it resolved.
    error: Mapped[str | None] = mapped_column(String(255))
    resent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
