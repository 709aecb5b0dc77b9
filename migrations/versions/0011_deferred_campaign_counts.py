"""campaign_counts: PostgreSQL triggers deferred to commit

Revision ID: 0011
Revises: 0004
Create Date: 2026-12-02 15:10:00

Every write on a tenant's campaigns bumps the same few campaign_counts rows. As plain AFTER
triggers they took those row locks at the statement and held them to commit, so all writes of
a tenant queued behind the slowest open transaction (bench/api_write.py: p99 1.3-2.5 s at 16
clients). As deferred constraint triggers the rows are locked only while committing. Counts
are read only by list requests, which never write, so no transaction misses its own change.
SQLite has one writer anyway: nothing changes there.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UPDATE_WHEN = """
    WHEN ((OLD.tenant_id, OLD.status, OLD.type, OLD.name, OLD.description)
          IS DISTINCT FROM (NEW.tenant_id, NEW.status, NEW.type, NEW.name, NEW.description))"""
UPDATE_OF = "AFTER UPDATE OF tenant_id, status, type, name, description ON campaigns"


def _recreate(kind: str, timing: str) -> None:
    op.execute("DROP TRIGGER IF EXISTS campaign_counts_change ON campaigns")
    op.execute("DROP TRIGGER IF EXISTS campaign_counts_update ON campaigns")
    op.execute(
        f"CREATE {kind} campaign_counts_change AFTER INSERT OR DELETE ON campaigns {timing}"
        " FOR EACH ROW EXECUTE FUNCTION campaign_counts_sync()"
    )
    op.execute(
        f"CREATE {kind} campaign_counts_update {UPDATE_OF} {timing} FOR EACH ROW{UPDATE_WHEN}"
        " EXECUTE FUNCTION campaign_counts_sync()"
    )


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _recreate("CONSTRAINT TRIGGER", "DEFERRABLE INITIALLY DEFERRED")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _recreate("TRIGGER", "")
