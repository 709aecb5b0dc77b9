"""Shared paging helpers for list queries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, func
from sqlalchemy.ext.asyncio import AsyncSession

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of rows and the total across all pages."""

    items: list[T]
    total: int


async def fetch_page(
    session: AsyncSession, query: Select[Any], *, offset: int, limit: int
) -> Page[Any]:
    """Run `query` for one page and count its rows (same WHERE, no ORDER BY)."""
    count_query = query.order_by(None).with_only_columns(func.count(), maintain_column_froms=True)
    total = int(await session.scalar(count_query) or 0)
    if offset >= total:
        return Page([], total)
    rows = (await session.scalars(query.offset(offset).limit(limit))).all()
    return Page(list(rows), total)


def escape_like(text: str) -> str:
    """Escape LIKE wildcards so user input matches literally (escape char: backslash)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
