"""CHECK constraints: every status column holds one of its lifecycle's statuses

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 02:00:00

The statuses are the values of the lifecycle enums (core/lifecycle.py, core/run_lifecycle.py,
core/scheduling/lifecycle.py) as they are today, written out here: a migration must keep
meaning what it meant when it was written, whatever the code says later.
tests/test_status_constraints.py fails when an enum and these lists part ways.

SQLite can only add a CHECK in CREATE TABLE, so each table is rebuilt as in 0012: foreign
keys off around one explicit transaction (dropping a parent table with them on would
cascade-delete its children), AUTOINCREMENT kept, triggers saved and restored.
"""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATUSES: dict[str, tuple[str, ...]] = {
    "campaigns": ("draft", "scheduled", "active", "paused", "completed", "cancelled", "failed"),
    "executions": ("pending", "running", "paused", "completed", "cancelled", "failed"),
    "deliveries": ("pending", "sending", "sent", "failed", "unknown", "skipped"),
    "schedules": ("scheduled", "active", "paused", "completed", "failed", "deleted"),
    "schedule_runs": ("fired", "skipped", "failed", "missed"),
    "trigger_jobs": ("pending", "done", "skipped", "failed"),
}


def name_of(table: str) -> str:
    """The constraint's name, as the models' naming convention spells it."""
    return f"ck_{table}_status"


def condition(statuses: Sequence[str]) -> str:
    """The CHECK's SQL, exactly as storage.models.status_check writes it."""
    return "status IN ({})".format(", ".join(f"'{status}'" for status in statuses))


def _scalar(sql: str) -> object:
    return op.get_bind().execute(sa.text(sql)).scalar()


@contextmanager
def _foreign_keys_off() -> Iterator[None]:
    """Foreign keys off around one explicit transaction, checked before it commits."""
    if _scalar("PRAGMA foreign_keys") == 1:
        op.execute("PRAGMA foreign_keys=OFF")
        if _scalar("PRAGMA foreign_keys") == 1:
            # A transaction of this run is open (the pragma is ignored inside one): end it,
            # its work is complete.
            op.execute("COMMIT")
            op.execute("PRAGMA foreign_keys=OFF")
        restore = True
    else:
        restore = False
    op.execute("BEGIN")
    try:
        yield
        broken = op.get_bind().execute(sa.text("PRAGMA foreign_key_check")).first()
        if broken is not None:
            raise RuntimeError(f"foreign key broken by the rebuild: {tuple(broken)}")
        op.execute("COMMIT")
    except BaseException:
        op.execute("ROLLBACK")
        raise
    finally:
        if restore:
            op.execute("PRAGMA foreign_keys=ON")


def _rebuild_sqlite(add: bool) -> None:
    names = ", ".join(f"'{table}'" for table in STATUSES)
    triggers = op.get_bind().execute(
        sa.text(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' "
            f"AND tbl_name IN ({names}) ORDER BY name"
        )
    )
    saved = list(triggers.scalars())
    with _foreign_keys_off():
        for table, statuses in STATUSES.items():
            with op.batch_alter_table(
                table, recreate="always", table_kwargs={"sqlite_autoincrement": True}
            ) as batch:
                if add:
                    batch.create_check_constraint(name_of(table), condition(statuses))
                else:
                    batch.drop_constraint(name_of(table), type_="check")
        for sql in saved:
            op.execute(sql)


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_sqlite(add=True)
        return
    for table, statuses in STATUSES.items():
        op.create_check_constraint(name_of(table), table, condition(statuses))


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_sqlite(add=False)
        return
    for table in STATUSES:
        op.drop_constraint(name_of(table), table, type_="check")
