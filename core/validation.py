"""Shared input types: every value they accept can be stored, serialised and read back.

The REST API's models and the core services use the same annotated types, so a value that
passed the edge never breaks a later read (SQLite / PostgreSQL / orjson limits included).
Free-form JSON lives in core.validation_json, instants and zones in core.validation_time;
both are re-exported here, so `from core.validation import ...` names every input type.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, TypeVar

from pydantic import BeforeValidator, Field, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError, core_schema

from core.validation_json import (
    FREE_FORM,
    INT64_MAX,
    INT64_MIN,
    JSON_VALUE_REF,
    JSON_VALUE_SCHEMA,
    MAX_JSON_DEPTH,
    MAX_JSON_NODES,
    JsonObject,
    check_json,
    json_problems,
)
from core.validation_time import (
    EARLIEST,
    LATEST,
    MAX_DURATION,
    Instant,
    TimeZoneName,
    check_duration,
    check_instant,
    check_timezone,
    parse_instant,
    timezone_problem,
)

__all__ = [
    "EARLIEST",
    "FREE_FORM",
    "INT64_MAX",
    "INT64_MIN",
    "JSON_VALUE_REF",
    "JSON_VALUE_SCHEMA",
    "LATEST",
    "MAX_DURATION",
    "MAX_JSON_DEPTH",
    "MAX_JSON_NODES",
    "ChatId",
    "Count",
    "Instant",
    "Int64",
    "JsonObject",
    "Line",
    "Lowercase",
    "Omittable",
    "QueryInt",
    "RecipientRef",
    "TelegramUserId",
    "Text",
    "TimeZoneName",
    "Uppercase",
    "WholeInt",
    "check_duration",
    "check_instant",
    "check_json",
    "check_line",
    "check_text",
    "check_timezone",
    "check_weights",
    "given",
    "json_problems",
    "left_out",
    "parse_instant",
    "query_digits",
    "timezone_problem",
    "whole_number",
]

T = TypeVar("T")

# C0 controls and DEL; single-line text refuses them all, multi-line text keeps \t \n \r.
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
CONTROL_MULTILINE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
ASCII_INT = re.compile(r"-?[0-9]{1,20}")


def _error(kind: str, message: str) -> PydanticCustomError:
    return PydanticCustomError(kind, message)


# --- null handling -------------------------------------------------------------------------


class _NotNull:
    """Marks an optional field that may be left out but not sent as null."""

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> CoreSchema:
        def refuse_none(value: Any) -> Any:
            if value is None:
                raise _error("not_null", "may be left out, but cannot be null")
            return value

        return core_schema.no_info_after_validator_function(refuse_none, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        value = handler(schema)
        branches = value.get("anyOf")
        if isinstance(branches, list):
            kept = [b for b in branches if b != {"type": "null"}]
            value = {k: v for k, v in value.items() if k != "anyOf"}
            if len(kept) == 1:
                value.update(kept[0])
            else:
                value["anyOf"] = kept
        return value


# `x: Omittable[bool] = None`: absent means "leave unchanged"; an explicit null is refused.
Omittable = Annotated[T | None, _NotNull()]


# --- integers ------------------------------------------------------------------------------


def whole_number(value: Any) -> Any:
    """A JSON integer as JSON Schema counts them: `2.0` is 2; booleans and `2.5` stay refused."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# The one integer type of request bodies: strict (no "10", no true) but integral floats pass,
# so the OpenAPI `type: integer` is exactly what the server accepts.
WholeInt = Annotated[int, BeforeValidator(whole_number)]
Int64 = Annotated[WholeInt, Field(ge=INT64_MIN, le=INT64_MAX)]
# Telegram user ids fit in 52 bits; chat ids are signed (groups are negative) and non-zero.
TelegramUserId = Annotated[WholeInt, Field(gt=0, lt=2**53)]
ChatId = Annotated[WholeInt, Field(ge=-(2**53), le=2**53)]
Count = Annotated[WholeInt, Field(ge=0, le=INT64_MAX)]


def query_digits(value: Any) -> Any:
    """A query-string integer: ASCII digits (and a leading '-') only."""
    if isinstance(value, str):
        if not ASCII_INT.fullmatch(value):
            raise _error("int_digits", "must be a whole number written with the digits 0-9")
        return int(value)
    return value


# Query-string integers: ASCII digits only (no `+5`, ` 5`, `1e3`, `５`, `1_000`).
# Give bounds with Field on the field, or inside Annotated before this validator when the
# parameter is optional (`Annotated[int, Field(ge=1), BeforeValidator(query_digits)] | None`).
QueryInt = Annotated[int, BeforeValidator(query_digits)]


# --- text ----------------------------------------------------------------------------------


def check_line(value: str) -> str:
    """Single-line text (names, search terms, tags): no NUL or other control characters."""
    if CONTROL.search(value):
        raise _error("control_character", "must not contain control characters (e.g. NUL)")
    return value


def check_text(value: str) -> str:
    """Multi-line text (content, descriptions): tabs and newlines only among controls."""
    if CONTROL_MULTILINE.search(value):
        raise _error("control_character", "must not contain control characters (e.g. NUL)")
    return value


def _raw(check: Any) -> Any:
    def before(value: Any) -> Any:
        return check(value) if isinstance(value, str) else value

    return before


# Checked on the raw value, before the models' whitespace stripping (str.strip() would
# silently drop \f, \v and \x1c-\x1f at either end). The patterns only document the rule in
# OpenAPI; the validators enforce it with a clear message.
Line = Annotated[
    str,
    BeforeValidator(_raw(check_line)),
    Field(json_schema_extra={"pattern": "^[^\\x00-\\x1f\\x7f]*$"}),
]
Text = Annotated[
    str,
    BeforeValidator(_raw(check_text)),
    Field(json_schema_extra={"pattern": "^[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f]*$"}),
]


# --- enumerations --------------------------------------------------------------------------


def _lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def _upper(value: Any) -> Any:
    return value.upper() if isinstance(value, str) else value


# Wrap a Literal / StrEnum of lowercase values: `Lowercase[Literal["draft", ...]]`.
Lowercase = Annotated[T, BeforeValidator(_lower)]
Uppercase = Annotated[T, BeforeValidator(_upper)]


# --- references ----------------------------------------------------------------------------

# A recipient named by `sub_<id>` or by Telegram user id (ASCII digits).
RecipientRef = Annotated[str, Field(pattern=r"^(sub_)?[0-9]{1,18}$")]


# --- cross-field rules in JSON Schema ------------------------------------------------------


def given(*names: str, **schemas: Any) -> dict[str, Any]:
    """JSON Schema: each of `names` present and not null (optionally also matching `schemas`)."""
    properties = {name: {"not": {"type": "null"}} for name in names}
    for name, schema in schemas.items():
        properties[name] = {**properties.get(name, {}), **schema}
    return {"required": list(names), "properties": properties}


def left_out(*names: str) -> dict[str, Any]:
    """JSON Schema: each of `names` absent or null (null counts as absent)."""
    return {"properties": {name: {"type": "null"} for name in names}}


def check_weights(variations: list[T]) -> list[T]:
    """A/B variation weights are percents of recipients: together at most 100."""
    if sum(getattr(v, "weight", 0) for v in variations) > 100:
        # A relation between items, which JSON Schema cannot state: its own error type.
        raise _error("weights_total", "variation weights add up to more than 100 percent")
    return variations
