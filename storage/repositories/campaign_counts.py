"""Exact campaign totals from campaign_counts, and a cache of search counts validated by it.

campaign_counts holds one row per (tenant, status, type): how many campaigns it has and a
version that grows with every change of its membership or of its members' name and
description. Triggers (migration 0004) keep it in the writer's own transaction, so any
writer, the services, a bulk load or a cascade, keeps it right.
"""

from __future__ import annotations

import weakref
from typing import Any

from sqlalchemy import ColumnElement, ScalarSelect, bindparam, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import CampaignCount

COUNTS = CampaignCount.__table__
CACHE_SIZE = 4096

SearchKey = tuple[int, str, str | None, str | None]


def group_filter(status: bool, type_: bool) -> list[ColumnElement[bool]]:
    """The campaign_counts rows of the campaigns a list filter can return (parameters
    `tenant_id`, and `status` / `type` when filtered)."""
    where = [COUNTS.c.tenant_id == bindparam("tenant_id")]
    if status:
        where.append(COUNTS.c.status == bindparam("status"))
    if type_:
        where.append(COUNTS.c.type == bindparam("type"))
    return where


def total_of(groups: list[ColumnElement[bool]]) -> ScalarSelect[Any]:
    """How many campaigns the groups hold (exact, no scan of campaigns)."""
    return select(func.coalesce(func.sum(COUNTS.c.n), 0)).where(*groups).scalar_subquery()


def version_of(groups: list[ColumnElement[bool]]) -> ScalarSelect[Any]:
    """A number that changes whenever a campaign joins, leaves or is renamed in the groups."""
    return select(func.coalesce(func.sum(COUNTS.c.version), 0)).where(*groups).scalar_subquery()


class SearchCounts:
    """Search totals by (tenant, lowercased term, status, type), each with the version it
    was counted at: a committed change in the groups moves their version sum up (versions
    only grow), so an entry whose version still matches is exact."""

    def __init__(self, size: int = CACHE_SIZE) -> None:
        self._size = size
        self._entries: dict[SearchKey, tuple[int, int, float]] = {}

    def get(self, key: SearchKey) -> tuple[int, int, float] | None:
        """(version, total, rows of the groups per match) last stored for the key, if any."""
        return self._entries.get(key)

    def put(self, key: SearchKey, version: int, total: int, spread: float) -> None:
        """Remember a total counted at `version`, dropping the oldest entry when full."""
        self._entries.pop(key, None)
        if len(self._entries) >= self._size:
            del self._entries[next(iter(self._entries))]
        self._entries[key] = (version, total, spread)


_CACHES: weakref.WeakKeyDictionary[Engine, SearchCounts] = weakref.WeakKeyDictionary()


def search_counts(conn: AsyncConnection) -> SearchCounts:
    """The engine's search-count cache.

    Only statements that see committed rows alone may read or fill it: a version computed
    over uncommitted changes could collide with another transaction's committed one.
    """
    engine = conn.sync_engine
    cache = _CACHES.get(engine)
    if cache is None:
        cache = _CACHES[engine] = SearchCounts()
    return cache
