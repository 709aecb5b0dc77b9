"""v2 Campaign API: subscribers.phone, templates.json and the campaign_recipients table

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04 19:30:00

Columns are added and dropped in place: a SQLite batch rebuild of subscribers or templates
would drop and recreate the table, and the ON DELETE CASCADE of the rows that refer to them
(tags, segment members) would empty those (see 0015).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import storage.types

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
UTC = storage.types.UTCDateTime(timezone=True)
PHONE_INDEX = "ix_subscribers_tenant_id_phone"


def upgrade() -> None:
    op.add_column("subscribers", sa.Column("phone", sa.String(length=32), nullable=True))
    op.create_index(PHONE_INDEX, "subscribers", ["tenant_id", "phone"])
    op.add_column("templates", sa.Column("json", JSON, nullable=True))
    op.create_table(
        "campaign_recipients",
        sa.Column("campaign_id", ID, nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("tenant_id", ID, nullable=False),
        sa.Column("account_id", sa.String(length=128), nullable=False),
        sa.Column("params", JSON, nullable=False),
        sa.Column("message_key", sa.String(length=32), nullable=False),
        sa.Column("subscriber_id", sa.BigInteger(), nullable=True),
        sa.Column("error", sa.String(length=255), nullable=True),
        sa.Column("resent_at", UTC, nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_campaign_recipients_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_campaign_recipients_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("campaign_id", "position", name=op.f("pk_campaign_recipients")),
        sa.UniqueConstraint("message_key", name=op.f("uq_campaign_recipients_message_key")),
    )


def downgrade() -> None:
    op.drop_table("campaign_recipients")
    op.execute("ALTER TABLE templates DROP COLUMN json")
    op.drop_index(PHONE_INDEX, table_name="subscribers")
    op.execute("ALTER TABLE subscribers DROP COLUMN phone")
