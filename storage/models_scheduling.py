"""ORM models of scheduled campaigns, their runs, templates and trigger events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.lifecycle import ScheduleRunStatus, ScheduleStatus, TriggerJobStatus
from storage.models import AUTOINCREMENT, Base, status_check
from storage.types import BigIntPK, JSONType, UTCDateTime, utcnow


class Template(Base):
    """Reusable message content with declared variables."""

    __tablename__ = "templates"
    __table_args__ = (Index(None, "tenant_id", "created_at"), AUTOINCREMENT)
    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    content: Mapped[str | None] = mapped_column(Text)
    parse_mode: Mapped[str | None] = mapped_column(String(16))
    media: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    buttons: Mapped[list[Any] | None] = mapped_column(JSONType)
    variables: Mapped[list[str]] = mapped_column(JSONType, default=list)
    # A Telegram method description ({"method": "sendPhoto", ...}) for the v2 Campaign API.
    json: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Schedule(Base):
    """When and to whom a campaign is sent: once, on a recurrence rule, or on events."""

    __tablename__ = "schedules"
    __table_args__ = (
        Index(None, "tenant_id", "created_at"),
        Index(None, "status", "next_run_at"),
        Index(None, "campaign_id"),
        status_check(ScheduleStatus),
        AUTOINCREMENT,
    )
    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    schedule: Mapped[dict[str, Any]] = mapped_column(JSONType)
    target_audience: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    message_config: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    delivery_settings: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    notifications: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    next_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    run_count: Mapped[int] = mapped_column(Integer, default=0)
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ScheduleRun(Base):
    """One planned firing of a schedule; the unique key makes a double fire impossible."""

    __tablename__ = "schedule_runs"
    __table_args__ = (
        UniqueConstraint("schedule_id", "scheduled_for"),
        Index(None, "schedule_id", "id"),
        status_check(ScheduleRunStatus),
        AUTOINCREMENT,
    )
    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    schedule_id: Mapped[int] = mapped_column(ForeignKey("schedules.id", ondelete="CASCADE"))
    scheduled_for: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16))
    execution_id: Mapped[int | None] = mapped_column(
        ForeignKey("executions.id", ondelete="SET NULL")
    )
    test: Mapped[bool] = mapped_column(default=False)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    detail: Mapped[str | None] = mapped_column(Text)


class TriggerEvent(Base):
    """An event reported for a subscriber; an event id is accepted once."""

    __tablename__ = "trigger_events"
    __table_args__ = (
        UniqueConstraint("tenant_id", "event_key"),
        Index(None, "tenant_id", "name", "occurred_at"),
        AUTOINCREMENT,
    )
    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    event_key: Mapped[str] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(128))
    subscriber_id: Mapped[int] = mapped_column(ForeignKey("subscribers.id", ondelete="CASCADE"))
    properties: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TriggerJob(Base):
    """A delayed send to one subscriber, caused by one event matching one schedule."""

    __tablename__ = "trigger_jobs"
    __table_args__ = (
        UniqueConstraint("schedule_id", "event_id"),
        Index(None, "status", "due_at"),
        status_check(TriggerJobStatus),
        AUTOINCREMENT,
    )
    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    schedule_id: Mapped[int] = mapped_column(ForeignKey("schedules.id", ondelete="CASCADE"))
    event_id: Mapped[int] = mapped_column(ForeignKey("trigger_events.id", ondelete="CASCADE"))
    subscriber_id: Mapped[int] = mapped_column(ForeignKey("subscribers.id", ondelete="CASCADE"))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default=TriggerJobStatus.PENDING.value)
    execution_id: Mapped[int | None] = mapped_column(
        ForeignKey("executions.id", ondelete="SET NULL")
    )
    detail: Mapped[str | None] = mapped_column(Text)
