"""Audience rule language: parse and validate JSON rules into storage's rule tree."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from core.errors import ValidationFailed
from core.validation import INT64_MAX, INT64_MIN, check_duration, parse_instant
from storage.audience import Condition, Group

STRING_FIELDS = {
    "firstName",
    "lastName",
    "username",
    "languageCode",
    "timezone",
    "source",
    "status",
}
NUMBER_FIELDS = {"telegramId"}
DATE_FIELDS = {"createdAt"}
STRING_OPS = {"eq", "ne", "in", "nin", "contains", "startsWith", "exists"}
NUMBER_OPS = {"eq", "ne", "in", "nin", "gt", "gte", "lt", "lte", "between", "exists"}
DATE_OPS = {"gt", "gte", "lt", "lte", "between", "within", "olderThan"}
TAG_OPS = {"contains", "notContains", "in", "nin", "exists"}
ATTRIBUTE_OPS = STRING_OPS | NUMBER_OPS
ATTRIBUTE_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
DURATION = re.compile(r"([0-9]{1,6})([mhdw])")
UNIT = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
MAX_DEPTH = 5
# Operators that only make sense for some value kinds.
OP_KINDS = {
    "contains": {"string"},
    "startsWith": {"string"},
    "gt": {"number"},
    "gte": {"number"},
    "lt": {"number"},
    "lte": {"number"},
    "between": {"number"},
}


def _kind(value: Any) -> str | None:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return None


def _kind_of_type(kind: type) -> str:
    return {bool: "boolean", int: "number", float: "number", str: "string"}[kind]


MAX_ITEMS = 50


def parse_duration(text: str) -> timedelta:
    """`30m`, `24h`, `7d`, `2w` -> timedelta; ValueError otherwise."""
    match = DURATION.fullmatch(text.strip()) if isinstance(text, str) else None
    if not match:
        raise ValueError(f"'{text}' is not a duration such as 30m, 24h, 7d or 2w")
    return check_duration(timedelta(**{UNIT[match.group(2)]: int(match.group(1))}))


class RuleParser:
    """Turns rule JSON into a validated Group, collecting every problem with its path."""

    def __init__(self, now: datetime, field_path: str) -> None:
        self.now = now
        self.root = field_path
        self.problems: list[dict[str, Any]] = []

    def parse(self, raw: Any) -> Group:
        """Parse a rules object or raise ValidationFailed listing every bad part."""
        group = self._node(raw, self.root, 0)
        if self.problems:
            raise ValidationFailed("Audience rules are invalid.", details=self.problems)
        return group if isinstance(group, Group) else Group("all", (group,))

    def _fail(self, path: str, message: str) -> Condition:
        self.problems.append({"field": path, "message": message})
        return Condition("status", "eq", "active")

    def _node(self, raw: Any, path: str, depth: int) -> Group | Condition:
        if depth > MAX_DEPTH:
            return self._fail(path, f"rules nest deeper than {MAX_DEPTH} levels")
        if not isinstance(raw, dict):
            return self._fail(path, "must be an object")
        modes = [key for key in ("all", "any") if key in raw]
        if modes:
            if len(raw) != 1:
                return self._fail(path, "a group has exactly one key: all or any")
            mode = modes[0]
            items = raw[mode]
            if not isinstance(items, list) or not items or len(items) > MAX_ITEMS:
                return self._fail(f"{path}.{mode}", f"must be a list of 1..{MAX_ITEMS} rules")
            parsed = tuple(
                self._node(item, f"{path}.{mode}[{i}]", depth + 1) for i, item in enumerate(items)
            )
            return Group(mode, parsed)
        return self._condition(raw, path)

    def _condition(self, raw: dict[str, Any], path: str) -> Condition:
        unknown = set(raw) - {"field", "op", "value"}
        if unknown or "field" not in raw or "op" not in raw:
            return self._fail(path, "a rule is {field, op, value} or a group {all|any: [...]}")
        field, op, value = raw["field"], raw["op"], raw.get("value")
        if not isinstance(field, str) or not isinstance(op, str):
            return self._fail(path, "field and op must be strings")
        if field == "tags":
            return self._tags(path, op, value)
        if field.startswith("attributes."):
            key = field.split(".", 1)[1]
            if not ATTRIBUTE_KEY.match(key):
                return self._fail(f"{path}.field", f"'{key}' is not a valid attribute name")
            return self._typed(path, field, op, value, ATTRIBUTE_OPS, (str, int, float, bool))
        if field in STRING_FIELDS:
            return self._typed(path, field, op, value, STRING_OPS, (str,))
        if field in NUMBER_FIELDS:
            return self._typed(path, field, op, value, NUMBER_OPS, (int,))
        if field in DATE_FIELDS:
            return self._date(path, field, op, value)
        known = sorted(STRING_FIELDS | NUMBER_FIELDS | DATE_FIELDS | {"tags", "attributes.<name>"})
        return self._fail(f"{path}.field", f"unknown field '{field}'; known: {', '.join(known)}")

    def _tags(self, path: str, op: str, value: Any) -> Condition:
        if op not in TAG_OPS:
            return self._fail(f"{path}.op", f"tags support {sorted(TAG_OPS)}")
        if op == "exists":
            return Condition("tags", op, bool(value))
        values = value if isinstance(value, list) else [value]
        if not values or not all(isinstance(v, str) and v for v in values):
            return self._fail(f"{path}.value", "must be a tag or a list of tags")
        return Condition("tags", op, values)

    def _typed(
        self, path: str, field: str, op: str, value: Any, ops: set[str], types: tuple[type, ...]
    ) -> Condition:
        if op not in ops:
            return self._fail(f"{path}.op", f"'{field}' supports {sorted(ops)}")
        if op == "exists":
            return Condition(field, op, bool(value))
        items = value if op in ("in", "nin", "between") else [value]
        if not isinstance(items, list) or not items:
            return self._fail(f"{path}.value", f"'{op}' needs a non-empty list")
        if op == "between" and len(items) != 2:
            return self._fail(f"{path}.value", "'between' needs [low, high]")
        kinds = {_kind(item) for item in items}
        if len(kinds) != 1 or None in kinds:
            return self._fail(f"{path}.value", "values must all be strings, numbers or booleans")
        if any(isinstance(i, int) and not INT64_MIN <= i <= INT64_MAX for i in items):
            return self._fail(f"{path}.value", "numbers must fit in signed 64 bits")
        kind = kinds.pop()
        allowed = {_kind_of_type(t) for t in types}
        if kind not in allowed:
            return self._fail(f"{path}.value", f"'{field}' takes {' or '.join(sorted(allowed))}")
        needs = OP_KINDS.get(op)
        if needs is not None and kind not in needs:
            return self._fail(f"{path}.value", f"'{op}' compares {' or '.join(sorted(needs))}")
        return Condition(field, op, value)

    def _date(self, path: str, field: str, op: str, value: Any) -> Condition:
        if op not in DATE_OPS:
            return self._fail(f"{path}.op", f"'{field}' supports {sorted(DATE_OPS)}")
        try:
            if op in ("within", "olderThan"):
                return Condition(field, op, self.now - parse_duration(value))
            values = value if op == "between" else [value]
            if not isinstance(values, list) or not values or (op == "between" and len(values) != 2):
                return self._fail(f"{path}.value", "'between' needs [from, to]")
            parsed = [parse_instant(v) for v in values]
        except ValueError as exc:
            return self._fail(f"{path}.value", str(exc))
        return Condition(field, op, parsed if op == "between" else parsed[0])


def shorthand_to_rules(filters: dict[str, Any]) -> dict[str, Any]:
    """`{"languageCode": ["en"], "ageRange": [18, 45], "vip": true}` -> an `all` rule group.

    Known fields keep their name; anything else is a custom attribute. A list means "one of",
    a key ending in `Range` with two numbers means "between" on the attribute without it.
    """
    known = STRING_FIELDS | NUMBER_FIELDS | DATE_FIELDS | {"tags"}
    rules: list[dict[str, Any]] = []
    for key, value in filters.items():
        field = key if key in known else f"attributes.{key}"
        if key.endswith("Range") and isinstance(value, list) and len(value) == 2:
            rules.append({"field": f"attributes.{key[:-5]}", "op": "between", "value": value})
        elif key == "tags":
            rules.append({"field": "tags", "op": "in", "value": value})
        elif isinstance(value, list):
            rules.append({"field": field, "op": "in", "value": value})
        else:
            rules.append({"field": field, "op": "eq", "value": value})
    return (
        {"all": rules} if rules else {"all": [{"field": "status", "op": "eq", "value": "active"}]}
    )


def parse_filters(filters: dict[str, Any], now: datetime, path: str) -> Group:
    """Filters given as rules (`all`/`any`) or as the shorthand mapping of campaigns-api.md."""
    raw = filters if ("all" in filters or "any" in filters) else shorthand_to_rules(filters)
    return RuleParser(now, path).parse(raw)
