"""Response and query models: they shape the JSON and generate the OpenAPI document."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer
from pydantic.alias_generators import to_camel

from api.envelope import iso
from core.validation import QueryInt, query_digits

T = TypeVar("T")
UtcTime = Annotated[datetime, PlainSerializer(iso, return_type=str)]


def omitted_when_none(description: str | None = None) -> Any:
    """A field left out of the JSON when None (never written as null)."""
    return Field(default=None, exclude_if=lambda value: value is None, description=description)


class Out(BaseModel):
    """Base of response models: camelCase keys."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class Envelope(Out, Generic[T]):
    """`{"success": true, "data": ...}`."""

    success: bool = True
    data: T


class ErrorBody(Out):
    """The error object."""

    code: str
    message: str
    details: list[dict[str, Any]] = Field(default_factory=list)


class ErrorEnvelope(Out):
    """`{"success": false, "error": {...}}`."""

    success: Literal[False] = False
    error: ErrorBody


class Pagination(Out):
    """Paging facts of a list."""

    page: int
    limit: int
    total: int
    pages: int


MAX_PAGE = 1_000_000
MAX_SKIP = 100_000_000  # MAX_PAGE pages of 100
PageNumber = Annotated[int, Field(ge=1, le=MAX_PAGE), BeforeValidator(query_digits)]


class PageQuery(BaseModel):
    """page / limit query parameters: the one paging model of every list (ASCII digits)."""

    model_config = ConfigDict(extra="ignore")
    page: PageNumber = 1
    limit: QueryInt = Field(default=20, ge=1, le=100)


class SkipQuery(BaseModel):
    """skip / take-style paging (tenant-campaigns-api.md, scheduled-campaigns-api.md)."""

    model_config = ConfigDict(extra="ignore")
    skip: QueryInt = Field(default=0, ge=0, le=MAX_SKIP)


def pagination(page: int, limit: int, total: int) -> Pagination:
    """Paging facts for a page of `total` rows."""
    return Pagination(page=page, limit=limit, total=total, pages=(total + limit - 1) // limit)


class MessageText(Out):
    """A plain confirmation message."""

    message: str
