"""The campaign list query: one statement per page, totals without scanning campaigns.

Statements take every varying value as a named parameter (`tenant_id`, `status`, `type`,
`pattern`, `phrase`, `offset`, `limit`), so storage.direct compiles each shape once.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Select,
    bindparam,
    column,
    func,
    or_,
    select,
    table,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.direct import direct_reads
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


def filters(status: bool, type_: bool, *, indexed: bool = True) -> list[ColumnElement[bool]]:
    """The list filters; `indexed=False` words them so that SQLite cannot use an index for
    them (counting search matches then looks each match up by id, not the tenant's index)."""
    where = [(C.tenant_id if indexed else C.tenant_id + 0) == bindparam("tenant_id")]
    if status:
        where.append((C.status if indexed else C.status.concat("")) == bindparam("status"))
    if type_:
        where.append((C.type if indexed else C.type.concat("")) == bindparam("type"))
    return where


def order_by(field: str, descending: bool) -> list[Any]:
    """ORDER BY terms of a SORTABLE field."""
    keys = (*SORTABLE[field], C.id)
    return [key.desc() if descending else key.asc() for key in keys]


def like_pattern(term: str) -> str:
    """The `pattern` parameter: the lowercased term, matched literally anywhere."""
    return f"%{escape_like(term)}%"


def fts_phrase(term: str) -> str:
    """The `phrase` parameter: the term as one FTS5 phrase."""
    return '"' + term.replace('"', '""') + '"'


def contains(dialect: str) -> ColumnElement[bool]:
    """Name or description contains `pattern` (a LIKE per column)."""
    # Backslash is PostgreSQL's default LIKE escape; SQLite needs it spelled out.
    escape = "\\" if dialect == "sqlite" else None
    pattern: BindParameter[str] = bindparam("pattern")
    return or_(
        func.lower(C.name).like(pattern, escape=escape),
        func.lower(C.description).like(pattern, escape=escape),
    )


def fts_contains() -> ColumnElement[bool]:
    """The same through the FTS5 trigram index (terms of 3+ characters; folds any case)."""
    matches = SEARCH.c.campaigns_search.match(bindparam("phrase"))
    return C.id.in_(select(SEARCH.c.rowid).where(matches))


def page_statement(where: list[ColumnElement[bool]], order: list[Any], *extra: Any) -> Select[Any]:
    """The page in one statement: ids from an index walk, then just those rows (+ `extra`)."""
    ids = (
        select(C.id)
        .where(*where)
        .order_by(*order)
        .offset(bindparam("offset"))
        .limit(bindparam("limit"))
    )
    return select(*LIST_COLUMNS, *extra).where(C.id.in_(ids)).order_by(*order)


def _rows(rows: list[tuple[Any, ...]]) -> list[CampaignRow]:
    # zip stops at LIST_KEYS: the extra columns stay behind
    return [CampaignRow(zip(LIST_KEYS, row, strict=False)) for row in rows]


EXTRA = len(LIST_KEYS)  # index of the first extra column of a page row


async def plain_page(
    conn: AsyncConnection, key: SearchKey, sort: tuple[str, bool], offset: int, limit: int
) -> Page[CampaignRow]:
    """A page without search; the total comes from campaign_counts in the same statement."""
    tenant_id, _, status, type_ = key
    params = {"tenant_id": tenant_id, "status": status, "type": type_}
    has = (bool(status), bool(type_))
    reads = direct_reads(conn)

    def page() -> Select[Any]:
        total = total_of(group_filter(*has)).label("total_rows")
        return page_statement(filters(*has), order_by(*sort), total)

    rows = await reads.fetch(
        conn, ("plain", *sort, *has), page, {**params, "offset": offset, "limit": limit}
    )
    if rows:
        return Page(_rows(rows), int(rows[0][EXTRA]))
    if offset == 0:
        return Page([], 0)

    def total_only() -> Select[Any]:
        return select(total_of(group_filter(*has)))

    (found,) = await reads.fetch(conn, ("plain-total", *has), total_only, params)
    return Page([], int(found[0] or 0))


async def search_page(
    conn: AsyncConnection,
    key: SearchKey,
    sort: tuple[str, bool],
    offset: int,
    limit: int,
    *,
    committed_only: bool,
) -> Page[CampaignRow]:
    """A search page; its exact total is counted once per version of the groups and cached
    (only by reads that see committed rows alone)."""
    tenant_id, term, status, type_ = key
    dialect = conn.dialect.name
    sqlite = dialect == "sqlite"
    has = (bool(status), bool(type_))
    fts = sqlite and len(term) >= 3  # shorter strings have no trigram
    params = {
        "tenant_id": tenant_id,
        "status": status,
        "type": type_,
        "pattern": like_pattern(term),
        "phrase": fts_phrase(term),
    }
    reads = direct_reads(conn)
    cache = search_counts(conn) if committed_only else None
    known = cache.get(key) if cache is not None else None
    # SQLite's LIKE folds ASCII letters only: the walk is exact for ASCII terms alone.
    walk = known is not None and (offset + limit) * known[2] <= WALK_LIMIT
    by_like = not fts or (walk and term.isascii())

    def counted() -> Any:
        if fts:
            unindexed = filters(*has, indexed=False)
            return select(func.count()).where(*unindexed, fts_contains()).scalar_subquery()
        where = [*filters(*has), contains(dialect)]
        return select(func.count()).select_from(Campaign).where(*where).scalar_subquery()

    def facts(with_count: bool) -> list[Any]:
        groups = group_filter(*has)
        found = [version_of(groups).label("group_version"), total_of(groups).label("group_rows")]
        if with_count:
            found.append(counted().label("total_rows"))
        return found

    def page() -> Select[Any]:
        matched = contains(dialect) if by_like else fts_contains()
        return page_statement([*filters(*has), matched], order_by(*sort), *facts(known is None))

    shape = ("search", *sort, *has, fts, by_like, known is None)
    rows = await reads.fetch(conn, shape, page, {**params, "offset": offset, "limit": limit})
    if rows and known is not None and rows[0][EXTRA] == known[0]:
        return Page(_rows(rows), known[1])
    if rows and known is None:
        version, group_rows, total = rows[0][EXTRA : EXTRA + 3]
    else:

        def facts_only() -> Select[Any]:
            return select(*facts(True))

        (found,) = await reads.fetch(conn, ("search-facts", *has, fts), facts_only, params)
        version, group_rows, total = found
    if cache is not None:
        cache.put(key, int(version), int(total), group_rows / max(int(total), 1))
    return Page(_rows(rows), int(total))
