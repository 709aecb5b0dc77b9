"""SQLite: AUTOINCREMENT ids, so a deleted row's id is never given to a new one

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 15:30:00

Without AUTOINCREMENT SQLite gives the next row max(rowid) + 1, so deleting the newest
campaign (segment, template, ...) and creating another reuses its id, and every URL, bot
button and log line naming the deleted one now names the new one (schemathesis ST301).
SQLite can only declare AUTOINCREMENT in CREATE TABLE, so each table is rebuilt with its data,
indexes and triggers (copied from sqlite_master as they are, e.g. 0004's count and search
triggers on campaigns). The rebuild follows SQLite's own recipe (https://sqlite.org/lang_altertable.html#otheralter):
foreign keys off, which only takes effect outside a transaction, because dropping the old
parent table with them on would cascade-delete every child row. PostgreSQL identities never
reuse values: nothing changes there.
"""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = (
    "tenants",
    "api_keys",
    "subscribers",
    "segments",
    "campaigns",
    "executions",
    "deliveries",
    "campaign_events",
    "interactions",
    "templates",
    "schedules",
    "schedule_runs",
    "trigger_events",
    "trigger_jobs",
)


def _scalar(sql: str) -> object:
    return op.get_bind().execute(sa.text(sql)).scalar()


@contextmanager
def _foreign_keys_off() -> Iterator[None]:
    """Foreign keys off around one explicit transaction, checked before it commits."""
    if _scalar("PRAGMA foreign_keys") == 1:
        op.execute("PRAGMA foreign_keys=OFF")
        if _scalar("PRAGMA foreign_keys") == 1:
            # An earlier revision of this run left a transaction open: end it (its work is
            # complete), or the pragma is silently ignored.
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


def _rebuild(autoincrement: bool) -> None:
    bind = op.get_bind()
    names = ", ".join(f"'{table}'" for table in TABLES)
    triggers = bind.execute(
        sa.text(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' "
            f"AND tbl_name IN ({names}) ORDER BY name"
        )
    ).scalars()
    saved = list(triggers)
    with _foreign_keys_off():
        for table in TABLES:
            with op.batch_alter_table(
                table, recreate="always", table_kwargs={"sqlite_autoincrement": autoincrement}
            ):
                pass
        for sql in saved:
            op.execute(sql)


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rebuild(autoincrement=True)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rebuild(autoincrement=False)
