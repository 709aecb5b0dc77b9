"""campaign types: settings, pause reason, per-delivery ref and cost, answers and draws

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 22:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import storage.types

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
UTC = storage.types.UTCDateTime(timezone=True)


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column],
        [f"{target}.id"],
        name=op.f(f"fk_{table}_{column}_{target}"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.add_column("campaigns", sa.Column("settings", JSON, nullable=True))
    op.add_column("campaigns", sa.Column("pause_reason", sa.String(length=32), nullable=True))
    op.add_column("deliveries", sa.Column("ref", sa.String(length=128), nullable=True))
    op.add_column("deliveries", sa.Column("cost", sa.Float(), server_default="0", nullable=False))
    op.create_index(op.f("ix_deliveries_ref"), "deliveries", ["ref"], unique=False)
    op.create_table(
        "answers",
        sa.Column("id", ID, nullable=False),
        sa.Column("tenant_id", ID, nullable=False),
        sa.Column("campaign_id", ID, nullable=False),
        sa.Column("delivery_id", ID, nullable=False),
        sa.Column("subscriber_id", sa.BigInteger(), nullable=False),
        sa.Column("question", sa.String(length=64), nullable=False),
        sa.Column("value", JSON, nullable=True),
        sa.Column("correct", sa.Boolean(), nullable=True),
        sa.Column("answered_at", UTC, nullable=False),
        _fk("answers", "tenant_id", "tenants"),
        _fk("answers", "campaign_id", "campaigns"),
        _fk("answers", "delivery_id", "deliveries"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_answers")),
        sa.UniqueConstraint(
            "delivery_id", "question", name=op.f("uq_answers_delivery_id_question")
        ),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_answers_campaign_id_question"), "answers", ["campaign_id", "question"])
    op.create_index(
        op.f("ix_answers_subscriber_id_answered_at"), "answers", ["subscriber_id", "answered_at"]
    )
    op.create_table(
        "draws",
        sa.Column("id", ID, nullable=False),
        sa.Column("tenant_id", ID, nullable=False),
        sa.Column("campaign_id", ID, nullable=False),
        sa.Column("seed", sa.String(length=64), nullable=False),
        sa.Column("requested", sa.Integer(), nullable=False),
        sa.Column("eligible", sa.Integer(), nullable=False),
        sa.Column("winners", JSON, nullable=False),
        sa.Column("drawn_by", sa.String(length=128), nullable=True),
        sa.Column("drawn_at", UTC, nullable=False),
        sa.Column("notified_at", UTC, nullable=True),
        _fk("draws", "tenant_id", "tenants"),
        _fk("draws", "campaign_id", "campaigns"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_draws")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_draws_campaign_id_drawn_at"), "draws", ["campaign_id", "drawn_at"])


def downgrade() -> None:
    op.drop_table("draws")
    op.drop_table("answers")
    op.drop_index(op.f("ix_deliveries_ref"), table_name="deliveries")
    # Plain DROP COLUMN (SQLite 3.35+): a batch rebuild would drop the campaigns triggers.
    for table, column in (
        ("deliveries", "cost"),
        ("deliveries", "ref"),
        ("campaigns", "pause_reason"),
        ("campaigns", "settings"),
    ):
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
