"""The campaign list query: one statement per page, totals without scanning campaigns."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Row, column, func, or_, select, table
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import Campaign
from storage.repositories.campaign_counts import (
    SearchKey,
    group_filter,
    search_counts,
    total_of,
    version_of,
)
from storage.repositories.paging import Page, escape_like

C = Campaign.__table__.c
# Everything a list page shows (tenant_id is the filter, not shown).
LIST_COLUMNS = tuple(c for c in C if c.key != "tenant_id")
LIST_KEYS = tuple(c.key for c in LIST_COLUMNS)


class CampaignRow(dict[str, Any]):
    """A listed campaign as plain data: LIST_KEYS to values, also readable as attributes."""

    __slots__ = ()

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


# Sort keys; the id breaks ties. Each sort walks an index on (tenant_id, *keys, id).
SORTABLE: dict[str, tuple[Any, ...]] = {
    "createdAt": (C.created_at,),
    "updatedAt": (C.updated_at,),
    "name": (C.name,),
    "startDate": (C.start_date,),
    "endDate": (C.end_date,),
    "budget": (C.budget,),
    "status": (C.status, C.created_at),
    "type": (C.type, C.created_at),
}
# The SQLite FTS5 trigram index of name and description (migration 0004).
SEARCH = table("campaigns_search", column("rowid"), column("campaigns_search"))
# A search page walks the sort index with a LIKE filter when the cached count says that reads
# at most this many rows; otherwise it takes the matches from the search index.
WALK_LIMIT = 2000


def filters(
    tenant_id: int, status: str | None, type_: str | None, *, indexed: bool = True
) -> list[ColumnElement[bool]]:
    """The list filters; `indexed=False` words them so that SQLite cannot use an index for
    them (counting search matches then looks each match up by id, not the tenant's index)."""
    where = [(C.tenant_id if indexed else C.tenant_id + 0) == tenant_id]
    if status:
        where.append((C.status if indexed else C.status.concat("")) == status)
    if type_:
        where.append((C.type if indexed else C.type.concat("")) == type_)
    return where


def order_by(field: str, descending: bool) -> list[Any]:
    """ORDER BY terms of a SORTABLE field."""
    keys = (*SORTABLE[field], C.id)
    return [key.desc() if descending else key.asc() for key in keys]


def contains(term: str, dialect: str) -> ColumnElement[bool]:
    """Name or description contains the lowercased `term` literally (a LIKE per column)."""
    pattern = f"%{escape_like(term)}%"
    # Backslash is PostgreSQL's default LIKE escape; SQLite needs it spelled out.
    escape = "\\" if dialect == "sqlite" else None
    return or_(
        func.lower(C.name).like(pattern, escape=escape),
        func.lower(C.description).like(pattern, escape=escape),
    )


def fts_contains(term: str) -> ColumnElement[bool]:
    """The same through the FTS5 trigram index (terms of 3+ characters; folds any case)."""
    phrase = '"' + term.replace('"', '""') + '"'
    return C.id.in_(select(SEARCH.c.rowid).where(SEARCH.c.campaigns_search.match(phrase)))


async def fetch(
    conn: AsyncConnection,
    where: list[ColumnElement[bool]],
    order: list[Any],
    offset: int,
    limit: int,
    *extra: Any,
) -> list[Row[Any]]:
    """The page in one statement: ids from an index walk, then just those rows (+ `extra`)."""
    ids = select(C.id).where(*where).order_by(*order).offset(offset).limit(limit)
    query = select(*LIST_COLUMNS, *extra).where(C.id.in_(ids)).order_by(*order)
    return list((await conn.execute(query)).all())


def _rows(rows: list[Row[Any]]) -> list[CampaignRow]:
    # zip stops at LIST_KEYS: the extra columns stay behind
    return [CampaignRow(zip(LIST_KEYS, row, strict=False)) for row in rows]


async def plain_page(
    conn: AsyncConnection, key: SearchKey, order: list[Any], offset: int, limit: int
) -> Page[CampaignRow]:
    """A page without search; the total comes from campaign_counts in the same statement."""
    tenant_id, _, status, type_ = key
    total = total_of(group_filter(tenant_id, status, type_))
    rows = await fetch(
        conn, filters(tenant_id, status, type_), order, offset, limit, total.label("total_rows")
    )
    if rows:
        return Page(_rows(rows), int(rows[0].total_rows))
    return Page([], 0 if offset == 0 else int(await conn.scalar(select(total)) or 0))


async def search_page(
    conn: AsyncConnection, key: SearchKey, order: list[Any], offset: int, limit: int
) -> Page[CampaignRow]:
    """A search page; its exact total is counted once per version of the groups and cached."""
    tenant_id, term, status, type_ = key
    sqlite = conn.dialect.name == "sqlite"
    where = filters(tenant_id, status, type_)
    like = contains(term, conn.dialect.name)
    if sqlite and len(term) >= 3:  # shorter strings have no trigram
        matched = fts_contains(term)
        unindexed = filters(tenant_id, status, type_, indexed=False)
        counted = select(func.count()).where(*unindexed, matched)
    else:
        matched = like
        counted = select(func.count()).select_from(Campaign).where(*where, like)
    cache = await search_counts(conn)
    known = cache.get(key) if cache is not None else None
    # SQLite's LIKE folds ASCII letters only: the walk is exact for ASCII terms alone.
    walk = known is not None and (offset + limit) * known[2] <= WALK_LIMIT
    page_filter = like if walk and (not sqlite or term.isascii()) else matched
    groups = group_filter(tenant_id, status, type_)
    facts = [version_of(groups).label("group_version"), total_of(groups).label("group_rows")]
    if known is None:
        facts.append(counted.scalar_subquery().label("total_rows"))
    rows = await fetch(conn, [*where, page_filter], order, offset, limit, *facts)
    if rows and known is not None and rows[0].group_version == known[0]:
        return Page(_rows(rows), known[1])
    if rows and known is None:
        version, group_rows, total = rows[0].group_version, rows[0].group_rows, rows[0].total_rows
    else:
        query = select(*facts[:2], counted.scalar_subquery())
        version, group_rows, total = (await conn.execute(query)).one()
    if cache is not None:
        cache.put(key, int(version), int(total), group_rows / max(int(total), 1))
    return Page(_rows(rows), int(total))
