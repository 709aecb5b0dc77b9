"""Query strings (and other plain values) validated into pydantic models."""

from __future__ import annotations

from typing import Any, TypeVar

from aiohttp import web
from pydantic import BaseModel, ValidationError

from core.field_errors import raise_invalid, validation_details

M = TypeVar("M", bound=BaseModel)


def validate_model(model: type[M], data: Any, what: str) -> M:
    """`data` (already Python values) validated as `model` (lax: query strings, tests)."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise_invalid(validation_details(exc), what)
        raise  # unreachable


def _query_names(model: type[BaseModel]) -> set[str]:
    return {field.alias or name for name, field in model.model_fields.items()} | set(
        model.model_fields
    )


def parse_query(request: web.Request, model: type[M]) -> M:
    """Query parameters validated as `model` (repeated keys keep their last value). A known
    parameter given with an empty value (`?status=`) is refused, never read as absent."""
    query = dict(request.query)
    names = _query_names(model)
    empty = [
        {
            "field": key,
            "message": "must not be empty (leave the parameter out instead)",
            "type": "empty_value",
        }
        for key, value in query.items()
        if key in names and value == ""
    ]
    try:
        result = model.model_validate({k: v for k, v in query.items() if v != "" or k not in names})
    except ValidationError as exc:
        problems = validation_details(exc)
        raise_invalid(empty + problems, "query parameters")
        raise  # unreachable
    if empty:
        raise_invalid(empty, "query parameters")
    return result
