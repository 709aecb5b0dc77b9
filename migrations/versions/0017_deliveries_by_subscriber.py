"""deliveries by subscriber: an opt-out is put down to the campaign it received last

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04 20:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "ix_deliveries_subscriber_id_processed_at"


def upgrade() -> None:
    op.create_index(INDEX, "deliveries", ["subscriber_id", "processed_at"])


def downgrade() -> None:
    op.drop_index(INDEX, table_name="deliveries")
