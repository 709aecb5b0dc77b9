"""The delivery ledger: claims, write-backs, recovery and listings of per-recipient rows."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

import orjson
from sqlalchemy import ColumnElement, and_, or_, select, text, update
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession

from core.lifecycle import DeliveryStatus, ExecutionStatus
from storage.models import Campaign, Delivery, Execution, Subscriber, table_of

WRITE_BACK_KEYS = (
    "id",
    "status",
    "chat_id",
    "message_id",
    "error_code",
    "error_detail",
    "attempts",
    "not_before",
    "processed_at",
    "claimed_by",
    "ref",
    "cost",
)


# Results travel as one JSON document joined to the ledger by id: an executemany spent far
# more CPU binding parameters row by row than the database spent updating. Only rows still
# claimed by the writer change: a row recovered as `unknown` meanwhile keeps that verdict.
# A row's `ref` is only ever replaced by a new one: a policy may already have moved it on
# (a survey's next poll) between the send and this write-back.
_KEPT_UNLESS_GIVEN = {"ref"}


def _assign(key: str, value: str, table: str) -> str:
    if key in _KEPT_UNLESS_GIVEN:
        return f"{key} = COALESCE({value}, {table}.{key})"
    return f"{key} = {value}"


_SET = ", ".join(_assign(key, f"v.{key}", "d") for key in WRITE_BACK_KEYS[1:])
BULK_WRITE_BACK = {
    "sqlite": text(
        "UPDATE deliveries SET "
        + ", ".join(
            _assign(key, f"json_extract(v.value, '$[{i}]')", "deliveries")
            for i, key in enumerate(WRITE_BACK_KEYS)
            if key != "id"
        )
        + " FROM json_each(:rows) AS v WHERE deliveries.id = json_extract(v.value, '$[0]')"
        f" AND deliveries.status = '{DeliveryStatus.SENDING}' AND deliveries.claimed_by = :worker"
        " RETURNING deliveries.status, deliveries.cost"
    ),
    "postgresql": text(
        f"UPDATE deliveries AS d SET {_SET} "
        "FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS v(id bigint, status varchar, "
        "chat_id bigint, message_id bigint, error_code varchar, error_detail varchar, "
        "attempts smallint, not_before timestamptz, processed_at timestamptz, "
        "claimed_by varchar, ref varchar, cost double precision) WHERE d.id = v.id"
        f" AND d.status = '{DeliveryStatus.SENDING}' AND d.claimed_by = :worker"
        " RETURNING d.status, d.cost"
    ),
}
_DATETIME_INDEXES = tuple(WRITE_BACK_KEYS.index(key) for key in ("not_before", "processed_at"))
# A row given without a cost cost nothing (the column is NOT NULL).
_DEFAULTS = {"cost": 0.0}


def _value(row: dict[str, Any], key: str) -> Any:
    value = row.get(key)
    return _DEFAULTS.get(key) if value is None else value


def _write_back_payload(rows: Sequence[dict[str, Any]], dialect: Dialect) -> str:
    """The JSON document of BULK_WRITE_BACK: arrays for SQLite, objects for PostgreSQL."""
    if dialect.name == "postgresql":
        objects = [{key: _value(row, key) for key in WRITE_BACK_KEYS} for row in rows]
        return orjson.dumps(objects).decode()
    # SQLite keeps datetimes as text; format them exactly as the column type does.
    to_text = Delivery.__table__.c.processed_at.type.dialect_impl(dialect).bind_processor(dialect)
    assert to_text is not None
    payload = []
    for row in rows:
        values = [_value(row, key) for key in WRITE_BACK_KEYS]
        for index in _DATETIME_INDEXES:
            if values[index] is not None:
                values[index] = to_text(values[index])
        payload.append(values)
    return orjson.dumps(payload).decode()


class ClaimedRow(NamedTuple):
    """A ledger row this worker now owns (status `sending`); a tuple: built per recipient."""

    id: int
    execution_id: int
    subscriber_id: int
    chat_id: int
    variation: int
    attempts: int


@dataclass(frozen=True)
class Settled:
    """How many rows of one execution reached each final state in a write-back."""

    sent: int = 0
    failed: int = 0
    unknown: int = 0
    skipped: int = 0

    @classmethod
    def of(cls, statuses: Counter[str]) -> Settled:
        """The increments for rows that reached these statuses (pending ones count nothing)."""
        return cls(
            statuses[DeliveryStatus.SENT],
            statuses[DeliveryStatus.FAILED],
            statuses[DeliveryStatus.UNKNOWN],
            statuses[DeliveryStatus.SKIPPED],
        )

    def __bool__(self) -> bool:
        return bool(self.sent or self.failed or self.unknown or self.skipped)


@dataclass(frozen=True)
class Written:
    """What one write-back changed: rows per status reached, and the Stars they cost."""

    statuses: Counter[str]
    cost: float = 0.0


class DeliveryRepository:
    """Ledger rows."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def claim(
        self, execution_id: int, worker_id: str, limit: int, now: datetime
    ) -> list[ClaimedRow]:
        """Move up to `limit` due pending rows to `sending` for this worker, oldest first."""
        due = (
            select(Delivery.id)
            .where(
                Delivery.execution_id == execution_id,
                Delivery.status == DeliveryStatus.PENDING,
                or_(Delivery.not_before.is_(None), Delivery.not_before <= now),
            )
            .order_by(Delivery.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
            # PostgreSQL may re-run an IN (... LIMIT n) subquery per row and claim far more than
            # n rows; a materialised CTE picks the batch exactly once.
            .cte("due")
            .prefix_with("MATERIALIZED", dialect="postgresql")
        )
        ledger = table_of(Delivery)  # a Core UPDATE: the ORM's bookkeeping is overhead here
        executions = table_of(Execution)
        # Only while the execution runs: a pause or cancel committed a moment ago wins over a
        # dispatcher that has not heard of it yet.
        running = (
            select(executions.c.id)
            .where(executions.c.id == execution_id, executions.c.status == ExecutionStatus.RUNNING)
            .exists()
        )
        result = await self.session.execute(
            ledger.update()
            .where(
                ledger.c.id.in_(select(due.c.id)),
                ledger.c.status == DeliveryStatus.PENDING,
                running,
            )
            .values(status=DeliveryStatus.SENDING, claimed_by=worker_id)
            .returning(*(ledger.c[name] for name in ClaimedRow._fields))
        )
        return sorted(map(ClaimedRow._make, result.all()))  # ordered by id, the first field

    async def write_back(self, rows: Sequence[dict[str, Any]], worker_id: str) -> Written:
        """Store results of rows `worker_id` still holds, in one statement; returns how many
        rows reached each status and their cost (rows recovered by someone else meanwhile are
        left alone)."""
        if not rows:
            return Written(Counter())
        dialect = self.session.get_bind().dialect
        if dialect.name in BULK_WRITE_BACK:
            payload = _write_back_payload(rows, dialect)
            result = await self.session.execute(
                BULK_WRITE_BACK[dialect.name], {"rows": payload, "worker": worker_id}
            )
            returned = result.all()
        else:
            ledger = table_of(Delivery)
            returned = []
            for row in rows:
                result = await self.session.execute(
                    ledger.update()
                    .where(
                        ledger.c.id == row["id"],
                        ledger.c.status == DeliveryStatus.SENDING,
                        ledger.c.claimed_by == worker_id,
                    )
                    .values(
                        {
                            key: _value(row, key)
                            for key in WRITE_BACK_KEYS[1:]
                            if key not in _KEPT_UNLESS_GIVEN or row.get(key) is not None
                        }
                    )
                    .returning(ledger.c.status, ledger.c.cost)
                )
                returned.extend(result.all())
        return Written(
            Counter(status for status, _ in returned), sum(cost or 0.0 for _, cost in returned)
        )

    async def add_to_counters(
        self, execution_id: int, campaign_id: int | None, settled: Settled, cost: float = 0.0
    ) -> None:
        """Bump the execution's and the campaign's counters in the write-back transaction."""
        # Core statements: nothing of these rows is loaded here, so the ORM's bookkeeping of
        # an UPDATE would be pure overhead, paid every write-back.
        # The campaign row first: API actions lock the campaign before its executions, and one
        # lock order everywhere is what keeps PostgreSQL free of deadlocks.
        if campaign_id is not None and (settled.sent or settled.failed):
            campaigns = table_of(Campaign)
            await self.session.execute(
                campaigns.update()
                .where(campaigns.c.id == campaign_id)
                .values(
                    sent_count=campaigns.c.sent_count + settled.sent,
                    failed_count=campaigns.c.failed_count + settled.failed,
                    cost=campaigns.c.cost + cost,
                    # Counters are not edits: keep updatedAt (and its index) still.
                    updated_at=campaigns.c.updated_at,
                )
            )
        executions = table_of(Execution)
        await self.session.execute(
            executions.update()
            .where(executions.c.id == execution_id)
            .values(
                sent_count=executions.c.sent_count + settled.sent,
                failed_count=executions.c.failed_count + settled.failed,
                unknown_count=executions.c.unknown_count + settled.unknown,
                skipped_count=executions.c.skipped_count + settled.skipped,
            )
        )

    async def mark_subscribers(
        self, subscriber_ids: Sequence[int], status: str, now: datetime
    ) -> list[tuple[int, int]]:
        """Record that recipients blocked the bot or were deactivated; (tenant, subscriber)
        of each one whose status this changed."""
        if not subscriber_ids:
            return []
        changed = await self.session.execute(
            update(Subscriber)
            .where(Subscriber.id.in_(subscriber_ids), Subscriber.status != status)
            .values(status=status, status_changed_at=now, updated_at=now)
            .returning(Subscriber.tenant_id, Subscriber.id)
        )
        return sorted((int(tenant), int(row)) for tenant, row in changed.all())

    async def move_chat(self, subscriber_id: int, new_chat_id: int) -> None:
        """A group migrated to a supergroup: remember its new chat id."""
        await self.session.execute(
            update(Subscriber).where(Subscriber.id == subscriber_id).values(chat_id=new_chat_id)
        )

    async def skip_pending(self, execution_ids: Sequence[int], reason: str) -> Counter[int]:
        """Mark every pending row of the executions skipped; returns counts per execution."""
        if not execution_ids:
            return Counter()
        result = await self.session.execute(
            update(Delivery)
            .where(
                Delivery.execution_id.in_(execution_ids), Delivery.status == DeliveryStatus.PENDING
            )
            .values(status=DeliveryStatus.SKIPPED, error_code=reason)
            .returning(Delivery.execution_id)
            .execution_options(synchronize_session=False)
        )
        return Counter(row[0] for row in result.all())

    @staticmethod
    def _orphaned(live_workers: Sequence[str]) -> ColumnElement[bool]:
        return and_(
            Delivery.status == DeliveryStatus.SENDING,
            or_(Delivery.claimed_by.is_(None), Delivery.claimed_by.not_in(list(live_workers))),
        )

    async def executions_with_orphans(self, live_workers: Sequence[str]) -> list[int]:
        """Executions with rows left `sending` by workers that are not alive."""
        rows = await self.session.scalars(
            select(Delivery.execution_id)
            .where(self._orphaned(live_workers))
            .distinct()
            .order_by(Delivery.execution_id)
        )
        return list(rows)

    async def recover_orphans(
        self, execution_id: int, live_workers: Sequence[str], now: datetime
    ) -> int:
        """The execution's rows left `sending` by dead workers become `unknown`; how many."""
        result = await self.session.execute(
            update(Delivery)
            .where(Delivery.execution_id == execution_id, self._orphaned(live_workers))
            .values(
                status=DeliveryStatus.UNKNOWN,
                error_code="UNKNOWN",
                error_detail="in flight when its sender stopped; not resent automatically",
                processed_at=now,
                claimed_by=None,
            )
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]  # an UPDATE or DELETE returns a CursorResult
