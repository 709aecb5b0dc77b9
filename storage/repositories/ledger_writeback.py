"""The ledger's bulk write-back: its SQL per dialect and the JSON payload it reads."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
from sqlalchemy import Row, text
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession

from core.lifecycle import DeliveryStatus
from storage.models import Delivery, table_of

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


async def write_back_rows(
    session: AsyncSession, rows: Sequence[dict[str, Any]], worker_id: str
) -> Sequence[Row[str, float | None]]:
    """Store results of rows `worker_id` still holds; (status, cost) of each row changed."""
    dialect = session.get_bind().dialect
    if dialect.name in BULK_WRITE_BACK:
        payload = _write_back_payload(rows, dialect)
        result = await session.execute(
            BULK_WRITE_BACK[dialect.name], {"rows": payload, "worker": worker_id}
        )
        return result.all()
    ledger = table_of(Delivery)
    returned: list[Row[str, float | None]] = []
    for row in rows:
        result = await session.execute(
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
    return returned
