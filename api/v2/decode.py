"""Request bodies read as Go's encoding/json reads them into a struct.

A key matches a field by its exact name, else case-insensitively (`name`, `NAME`, `Name`);
the last of repeated keys wins; unknown keys and nulls leave the field at its zero value.
Types are strict (a number is never a string), and a mismatch is told as Go tells it.
"""

from __future__ import annotations

from typing import Any, ClassVar, TypeVar

from aiohttp import web
from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic_core import ErrorDetails, from_json

from api.parsing import MAX_BODY, PayloadTooLarge
from core.v2_rules import invalid

G = TypeVar("G", bound="GoStruct")
INT_MIN, INT_MAX = -(2**63), 2**63 - 1


class GoStruct(BaseModel):
    """A Go struct: fields named as in Go, zero values as defaults."""

    model_config = ConfigDict(strict=True, extra="ignore")
    GO_NAME: ClassVar[str] = ""
    # Fields holding structs (or slices of them), decoded by the same rules.
    NESTED: ClassVar[dict[str, type[GoStruct]]] = {}
    # Go type names of fields, for error messages.
    GO_TYPES: ClassVar[dict[str, str]] = {}


def _json_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def go_keys(model: type[GoStruct], data: dict[str, Any]) -> dict[str, Any]:
    """`data` with each key renamed to the field it matches (unmatched keys and nulls dropped)."""
    fields = model.model_fields
    folded = {name.lower(): name for name in fields}
    matched: dict[str, Any] = {}
    for key, value in data.items():
        name = key if key in fields else folded.get(key.lower())
        if name is None or value is None:
            continue
        nested = model.NESTED.get(name)
        if nested is not None and isinstance(value, list):
            value = [go_keys(nested, v) if isinstance(v, dict) else v for v in value]
        elif nested is not None and isinstance(value, dict):
            value = go_keys(nested, value)
        matched[name] = value
    return matched


def _cannot_unmarshal(model: type[GoStruct], error: ErrorDetails) -> str:
    names = [part for part in error["loc"] if isinstance(part, str)]
    owner: type[GoStruct] = model
    for name in names[:-1]:
        owner = owner.NESTED.get(name, owner)
    last = names[-1] if names else ""
    go_type = owner.GO_TYPES.get(last, "string")
    if isinstance(error["loc"][-1], int) and go_type.startswith("[]"):
        go_type = go_type[2:]
    path = ".".join(names)
    value = error.get("input")
    shown = _json_kind(value)
    if shown == "number" and go_type == "int":
        shown = f"number {value}"  # Go names the number it could not fit
    return (
        f"invalid request body: json: cannot unmarshal {shown} into Go struct field "
        f"{model.GO_NAME}.{path} of type {go_type}"
    )


def _out_of_range(model: type[GoStruct], data: dict[str, Any]) -> str | None:
    for name, value in data.items():
        if (
            isinstance(value, int)
            and not isinstance(value, bool)
            and not INT_MIN <= value <= INT_MAX
        ):
            go_type = model.GO_TYPES.get(name, "int")
            return (
                f"invalid request body: json: cannot unmarshal number {value} into Go struct "
                f"field {model.GO_NAME}.{name} of type {go_type}"
            )
    return None


def decode(model: type[G], data: dict[str, Any]) -> G:
    """`data` (a JSON object) as the Go struct `model`; a 400 as Go would word it."""
    matched = go_keys(model, data)
    problem = _out_of_range(model, matched)
    if problem:
        raise invalid(problem)
    try:
        decoded = model.model_validate(matched)
    except ValidationError as exc:
        raise invalid(_cannot_unmarshal(model, exc.errors(include_url=False)[0])) from None
    where = _nul_in(decoded.model_dump())
    if where is not None:
        raise invalid(f"invalid request body: {where} must not contain NUL characters")
    return decoded


def _nul_in(value: Any, path: str = "") -> str | None:
    """Where a NUL is (no column can store one), or None."""
    if isinstance(value, str):
        return (path or "body") if "\x00" in value else None
    if isinstance(value, dict):
        children = [(f"{path}.{key}" if path else key, item) for key, item in value.items()]
    elif isinstance(value, list):
        children = [(f"{path}[{index}]", item) for index, item in enumerate(value)]
    else:
        return None
    for where, item in children:
        found = _nul_in(item, where)
        if found is not None:
            return found
    return None


async def read_object(request: web.Request) -> dict[str, Any]:
    """The body as a JSON object, whatever its Content-Type (Go's handlers never looked)."""
    if request.content_length is not None and request.content_length > MAX_BODY:
        raise PayloadTooLarge(MAX_BODY)
    raw = bytearray()
    async for chunk in request.content.iter_chunked(64 * 1024):
        raw += chunk
        if len(raw) > MAX_BODY:
            raise PayloadTooLarge(MAX_BODY)
    if not raw.strip():
        raise invalid("invalid request body: EOF")
    try:
        data = from_json(bytes(raw), allow_inf_nan=False)
    except ValueError as exc:
        raise invalid(f"invalid request body: {exc}") from None
    if not isinstance(data, dict):
        raise invalid(
            f"invalid request body: json: cannot unmarshal {_json_kind(data)} into Go value"
        )
    return data
