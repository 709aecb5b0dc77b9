"""campaign list: sort indexes, exact per-tenant counts, substring search index

Revision ID: 0004
Revises: 0010
Create Date: 2026-11-22 08:48:55.861007

Besides what the models describe, this creates objects the ORM cannot express (their names
are in storage.search_objects, which autogenerate skips):
- campaign_counts is kept exact by triggers on campaigns, so every writer (services, bulk
  loads, cascades, manual SQL) keeps it right in its own transaction;
- SQLite: an FTS5 trigram index over name and description, synced by triggers;
- PostgreSQL: pg_trgm GIN indexes on lower(name) and lower(description).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SORT_INDEXES = ("updated_at", "name", "start_date", "end_date", "budget")

# SQLite: `bump` adds `delta` campaigns to a (tenant, status, type) group and moves its version.
SQLITE_BUMP = """
INSERT INTO campaign_counts (tenant_id, status, type, n, version)
VALUES ({row}.tenant_id, {row}.status, {row}.type, {delta}, 1)
ON CONFLICT (tenant_id, status, type) DO UPDATE SET n = n + {delta}, version = version + 1;
"""
SQLITE_SEARCH_ROW = """
INSERT INTO campaigns_search (rowid, name, description)
VALUES (new.id, new.name, new.description);
"""
SQLITE_SEARCH_DROP = """
INSERT INTO campaigns_search (campaigns_search, rowid, name, description)
VALUES ('delete', old.id, old.name, old.description);
"""
SQLITE_TRIGGERS = {
    "campaign_counts_insert": "AFTER INSERT ON campaigns BEGIN"
    + SQLITE_BUMP.format(row="new", delta=1)
    + SQLITE_SEARCH_ROW
    + "END",
    "campaign_counts_delete": "AFTER DELETE ON campaigns BEGIN"
    + SQLITE_BUMP.format(row="old", delta=-1)
    + SQLITE_SEARCH_DROP
    + "END",
    "campaign_counts_move": "AFTER UPDATE OF tenant_id, status, type ON campaigns "
    "WHEN old.tenant_id IS NOT new.tenant_id OR old.status IS NOT new.status "
    "OR old.type IS NOT new.type BEGIN"
    + SQLITE_BUMP.format(row="old", delta=-1)
    + SQLITE_BUMP.format(row="new", delta=1)
    + "END",
    "campaign_counts_text": "AFTER UPDATE OF name, description ON campaigns "
    "WHEN old.name IS NOT new.name OR old.description IS NOT new.description BEGIN"
    + SQLITE_BUMP.format(row="new", delta=0)
    + SQLITE_SEARCH_DROP
    + SQLITE_SEARCH_ROW
    + "END",
}

POSTGRES_FUNCTIONS = (
    """
CREATE FUNCTION campaign_counts_bump(t bigint, s text, ty text, delta integer)
RETURNS void LANGUAGE sql AS $$
    INSERT INTO campaign_counts AS c (tenant_id, status, type, n, version)
    VALUES (t, s, ty, delta, 1)
    ON CONFLICT (tenant_id, status, type) DO UPDATE SET n = c.n + delta, version = c.version + 1
$$""",
    """
CREATE FUNCTION campaign_counts_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM campaign_counts_bump(NEW.tenant_id, NEW.status, NEW.type, 1);
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM campaign_counts_bump(OLD.tenant_id, OLD.status, OLD.type, -1);
    ELSIF (OLD.tenant_id, OLD.status, OLD.type) = (NEW.tenant_id, NEW.status, NEW.type) THEN
        PERFORM campaign_counts_bump(NEW.tenant_id, NEW.status, NEW.type, 0);
    ELSIF (OLD.tenant_id, OLD.status, OLD.type) < (NEW.tenant_id, NEW.status, NEW.type) THEN
        -- rows are always locked in key order, so two opposite moves cannot deadlock
        PERFORM campaign_counts_bump(OLD.tenant_id, OLD.status, OLD.type, -1);
        PERFORM campaign_counts_bump(NEW.tenant_id, NEW.status, NEW.type, 1);
    ELSE
        PERFORM campaign_counts_bump(NEW.tenant_id, NEW.status, NEW.type, 1);
        PERFORM campaign_counts_bump(OLD.tenant_id, OLD.status, OLD.type, -1);
    END IF;
    RETURN NULL;
END
$$""",
    """
CREATE TRIGGER campaign_counts_change AFTER INSERT OR DELETE ON campaigns
    FOR EACH ROW EXECUTE FUNCTION campaign_counts_sync()""",
    """
CREATE TRIGGER campaign_counts_update
    AFTER UPDATE OF tenant_id, status, type, name, description ON campaigns FOR EACH ROW
    WHEN ((OLD.tenant_id, OLD.status, OLD.type, OLD.name, OLD.description)
          IS DISTINCT FROM (NEW.tenant_id, NEW.status, NEW.type, NEW.name, NEW.description))
    EXECUTE FUNCTION campaign_counts_sync()""",
)


def upgrade() -> None:
    op.create_table(
        "campaign_counts",
        sa.Column(
            "tenant_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_campaign_counts_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "status", "type", name=op.f("pk_campaign_counts")),
    )
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        for column in SORT_INDEXES:
            batch_op.create_index(
                batch_op.f(f"ix_campaigns_tenant_id_{column}_id"),
                ["tenant_id", column, "id"],
                unique=False,
            )
    op.execute(
        "INSERT INTO campaign_counts (tenant_id, status, type, n, version) "
        "SELECT tenant_id, status, type, count(*), 1 FROM campaigns "
        "GROUP BY tenant_id, status, type"
    )
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE campaigns_search USING fts5(name, description, "
            "content='campaigns', content_rowid='id', tokenize='trigram')"
        )
        op.execute("INSERT INTO campaigns_search (campaigns_search) VALUES ('rebuild')")
        for name, body in SQLITE_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {body}")
    else:
        # The extension goes to public: in a schema that gets dropped it would take every
        # other schema's trigram indexes with it.
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public")
        schema = op.get_bind().scalar(
            sa.text(
                "SELECT extnamespace::regnamespace::text FROM pg_extension "
                "WHERE extname = 'pg_trgm'"
            )
        )
        for column in ("name", "description"):
            op.execute(
                f"CREATE INDEX ix_campaigns_{column}_trgm ON campaigns "
                f"USING gin (lower({column}) {schema}.gin_trgm_ops)"
            )
        for statement in POSTGRES_FUNCTIONS:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS campaigns_search")
    else:
        op.execute("DROP TRIGGER IF EXISTS campaign_counts_update ON campaigns")
        op.execute("DROP TRIGGER IF EXISTS campaign_counts_change ON campaigns")
        op.execute("DROP FUNCTION IF EXISTS campaign_counts_sync()")
        op.execute("DROP FUNCTION IF EXISTS campaign_counts_bump(bigint, text, text, integer)")
        op.execute("DROP INDEX IF EXISTS ix_campaigns_description_trgm")
        op.execute("DROP INDEX IF EXISTS ix_campaigns_name_trgm")
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        for column in reversed(SORT_INDEXES):
            batch_op.drop_index(batch_op.f(f"ix_campaigns_tenant_id_{column}_id"))
    op.drop_table("campaign_counts")
