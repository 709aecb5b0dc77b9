"""Shared input types: every value they accept can be stored, serialised and read back.

The REST API's models and the core services use the same annotated types, so a value that
passed the edge never breaks a later read (SQLite / PostgreSQL / orjson limits included).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Annotated, Any, TypeVar
from zoneinfo import ZoneInfo, available_timezones

from pydantic import AfterValidator, BeforeValidator, Field, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError, core_schema

T = TypeVar("T")

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
# Free-form JSON (attributes, properties, filters...): orjson refuses more than 255 levels.
MAX_JSON_DEPTH = 32
MAX_JSON_NODES = 10_000
# Instants are kept between these (UTC): a year of headroom below datetime.max leaves room
# for delays, durations and local-time conversion without overflow.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9999, 1, 1, tzinfo=UTC)
MAX_DURATION = timedelta(days=36_500)
ZONE_NAME = re.compile(r"[A-Za-z0-9_+\-/]{1,64}")
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


# --- free-form JSON ------------------------------------------------------------------------


def json_problems(value: Any, path: str, *, max_depth: int = MAX_JSON_DEPTH) -> list[str]:
    """What makes `value` unstorable: depth, size, NUL in strings, ints beyond 64 bits."""
    problems: list[str] = []
    nodes = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack and len(problems) < 5:
        item, depth = stack.pop()
        nodes += 1
        if nodes > MAX_JSON_NODES:
            problems.append(f"{path} has more than {MAX_JSON_NODES} values")
            break
        if isinstance(item, dict | list):
            if depth > max_depth:
                problems.append(f"{path} nests deeper than {max_depth} levels")
                break
            children = item.values() if isinstance(item, dict) else item
            if isinstance(item, dict) and any("\x00" in str(key) for key in item):
                problems.append(f"{path} has a key containing NUL")
            stack.extend((child, depth + 1) for child in children)
        elif isinstance(item, bool) or item is None or isinstance(item, float):
            continue
        elif isinstance(item, int):
            if not INT64_MIN <= item <= INT64_MAX:
                problems.append(f"{path} holds an integer outside signed 64 bits")
        elif isinstance(item, str) and "\x00" in item:
            problems.append(f"{path} holds a string containing NUL")
    return problems


def check_json(value: Any) -> Any:
    """Free-form JSON that every later read can serialise (see json_problems)."""
    problems = json_problems(value, "the value")
    if problems:
        raise _error("json_unstorable", "; ".join(problems))
    return value


NO_NUL = "^[^\\x00]*$"
# Any value inside free-form JSON, as the server stores it. api.openapi publishes it as a
# component and points every free-form object (marked FREE_FORM) at it; depth and size
# limits are only described: JSON Schema cannot count them.
FREE_FORM = "x-free-form"
JSON_VALUE_REF = "#/components/schemas/JsonValue"
JSON_VALUE_SCHEMA: dict[str, Any] = {
    "description": "A JSON value: integers within signed 64 bits, no NUL in strings or keys.",
    "anyOf": [
        {"type": "integer", "minimum": INT64_MIN, "maximum": INT64_MAX},
        {"type": "number", "not": {"type": "integer"}},
        {"type": "string", "pattern": NO_NUL},
        {"type": "boolean"},
        {"type": "null"},
        {"type": "array", "items": {"$ref": JSON_VALUE_REF}},
        {
            "type": "object",
            "additionalProperties": {"$ref": JSON_VALUE_REF},
            "propertyNames": {"pattern": NO_NUL},
        },
    ],
}
JsonObject = Annotated[
    dict[str, Any],
    AfterValidator(check_json),
    Field(
        json_schema_extra={
            "description": f"Free-form JSON: at most {MAX_JSON_DEPTH} levels and "
            f"{MAX_JSON_NODES} values, integers within signed 64 bits, no NUL in strings.",
            "propertyNames": {"pattern": NO_NUL},
            FREE_FORM: True,
        }
    ),
]


# --- instants ------------------------------------------------------------------------------


def check_instant(value: datetime) -> datetime:
    """An aware datetime within [EARLIEST, LATEST) once in UTC; returned in UTC."""
    if value.tzinfo is None:
        raise _error("timezone_aware", "must include a time zone, e.g. 2024-11-24T10:00:00Z")
    try:
        utc = value.astimezone(UTC)
    except (OverflowError, ValueError):
        utc = None
    if utc is None or not EARLIEST <= utc < LATEST:
        raise _error(
            "date_range", "must lie between 1970-01-01T00:00:00Z and 9999-01-01T00:00:00Z (UTC)"
        )
    return utc


def parse_instant(value: Any) -> datetime:
    """An ISO 8601 date-time with a zone, within the supported range; ValueError otherwise."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str) and len(value) <= 64:
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"'{value}' is not an ISO 8601 date-time") from None
    else:
        raise ValueError("must be an ISO 8601 date-time string")
    if parsed.tzinfo is None:
        raise ValueError("the date-time needs a time zone, e.g. 2024-11-24T10:00:00Z")
    try:
        return check_instant(parsed)
    except PydanticCustomError as exc:
        raise ValueError(exc.message()) from None


_YEARS_ANY_DAY = "197[1-9]|19[89][0-9]|[2-8][0-9]{3}|9[0-8][0-9]{2}|99[0-8][0-9]|999[0-7]"
# The document's share of the range: years 1971-9997 on any day, 1970 after 1 January and
# 9998 before 31 December (no zone offset can carry those out of the range). The two edge
# days themselves are refused by the document though the server may take them.
INSTANT_PATTERN = (
    f"^(?:(?:{_YEARS_ANY_DAY})-|1970-(?:0[2-9]|1[0-2])-|1970-01-(?:0[2-9]|[12][0-9]|3[01])"
    "|9998-(?:0[1-9]|1[01])-|9998-12-(?:[0-2][0-9]|30))"
)
Instant = Annotated[
    datetime,
    AfterValidator(check_instant),
    Field(
        json_schema_extra={
            "pattern": INSTANT_PATTERN,
            "description": "An ISO 8601 date-time with a zone, between 1970-01-01T00:00:00Z "
            "and 9999-01-01T00:00:00Z once in UTC.",
        }
    ),
]


def check_duration(value: timedelta) -> timedelta:
    """A non-negative duration of at most MAX_DURATION."""
    if not timedelta(0) <= value <= MAX_DURATION:
        raise ValueError(f"durations are at most {MAX_DURATION.days} days")
    return value


# --- time zones ----------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(available_timezones()) | {"UTC"}


def timezone_problem(value: Any) -> str | None:
    """Why `value` is not a usable IANA zone name, or None (never touches the filesystem
    with an unchecked name)."""
    hint = "an IANA time zone such as Europe/London"
    if not isinstance(value, str):
        return f"must be {hint}"
    if not ZONE_NAME.fullmatch(value) or ".." in value or value.startswith("/"):
        return f"must be {hint} (at most 64 letters, digits, '_', '+', '-', '/')"
    if value not in _zones():
        return f"'{value}' is not {hint}"
    try:
        ZoneInfo(value)
    except Exception:
        return f"'{value}' is not {hint}"
    return None


def check_timezone(value: str | None) -> str | None:
    """An IANA zone name (None passes), or ValueError naming the problem."""
    if value is None:
        return None
    problem = timezone_problem(value)
    if problem:
        raise ValueError(problem)
    return value


def _zone_name(value: str) -> str:
    problem = timezone_problem(value)
    if problem:
        raise _error("invalid_timezone", problem)
    return value


# Errors of this type carry the spec's code INVALID_TIMEZONE (see api.parsing).
TimeZoneName = Annotated[
    str,
    AfterValidator(_zone_name),
    # The document lists the zones this server knows, so a well-formed but unknown name
    # (e.g. "Mars/Base") is not called valid.
    Field(
        json_schema_extra=lambda schema: schema.update(
            enum=sorted(_zones()), description="An IANA time zone, e.g. Europe/London"
        )
    ),
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
