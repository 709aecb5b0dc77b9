"""campaigns.club_id: the sub-scope of a tenant that the tenant Campaigns API filters on

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04 19:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "ix_campaigns_tenant_id_club_id_created_at_id"


def upgrade() -> None:
    op.add_column("campaigns", sa.Column("club_id", sa.String(length=64), nullable=True))
    op.create_index(INDEX, "campaigns", ["tenant_id", "club_id", "created_at", "id"])


def downgrade() -> None:
    op.drop_index(INDEX, table_name="campaigns")
    # Not a batch rebuild: on SQLite that drops and recreates campaigns, and the ON DELETE
    # CASCADE of executions and deliveries would empty them. SQLite >= 3.35 drops in place.
    op.execute("ALTER TABLE campaigns DROP COLUMN club_id")
