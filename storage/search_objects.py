"""Database objects that migrations create but the models cannot describe."""

from __future__ import annotations

from typing import Any

# The SQLite FTS5 index of campaign names and descriptions (a virtual table and its shadow
# tables) and the PostgreSQL trigram indexes: see migration 0004.
UNMODELLED = frozenset(
    {
        "campaigns_search",
        "campaigns_search_config",
        "campaigns_search_data",
        "campaigns_search_docsize",
        "campaigns_search_idx",
        "ix_campaigns_description_trgm",
        "ix_campaigns_name_trgm",
    }
)


def include_name(name: str | None, type_: str, parent_names: dict[str, Any]) -> bool:
    """Alembic `include_name` hook: compare everything but the unmodelled objects."""
    return name not in UNMODELLED
