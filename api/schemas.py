"""Response and query models: they shape the JSON and generate the OpenAPI document."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer
from pydantic.alias_generators import to_camel

from api.envelope import iso

T = TypeVar("T")
UtcTime = Annotated[datetime, PlainSerializer(iso, return_type=str)]


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


class PageQuery(BaseModel):
    """page / limit query parameters."""

    model_config = ConfigDict(extra="ignore")
    page: int = Field(default=1, ge=1, le=1_000_000)
    limit: int = Field(default=20, ge=1, le=100)


def pagination(page: int, limit: int, total: int) -> Pagination:
    """Paging facts for a page of `total` rows."""
    return Pagination(page=page, limit=limit, total=total, pages=(total + limit - 1) // limit)


class MessageText(Out):
    """A plain confirmation message."""

    message: str
