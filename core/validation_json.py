"""Free-form JSON inputs (attributes, properties, filters...) that every later read can
serialise: bounded depth and size, no NUL, integers within signed 64 bits."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
# orjson refuses more than 255 levels; nothing the API stores needs more than a few.
MAX_JSON_DEPTH = 32
MAX_JSON_NODES = 10_000


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
        raise PydanticCustomError("json_unstorable", "; ".join(problems))
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
