"""Audience rules compiled to SQL: who matches is always decided by the database."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    and_,
    case,
    exists,
    false,
    literal,
    not_,
    or_,
    select,
    true,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from storage.models import SegmentMember, Subscriber, SubscriberTag

COLUMNS: dict[str, Any] = {
    "telegramId": Subscriber.telegram_id,
    "firstName": Subscriber.first_name,
    "lastName": Subscriber.last_name,
    "username": Subscriber.username,
    "languageCode": Subscriber.language_code,
    "timezone": Subscriber.timezone,
    "status": Subscriber.status,
    "source": Subscriber.source,
    "createdAt": Subscriber.created_at,
}


@dataclass(frozen=True)
class Condition:
    """One validated test on a subscriber field (`attributes.x` for custom attributes)."""

    field: str
    op: str
    value: Any = None


@dataclass(frozen=True)
class Group:
    """All (`all`) or any (`any`) of the nested items must hold."""

    mode: str
    items: tuple[Condition | Group, ...]


@dataclass(frozen=True)
class AudienceSpec:
    """A tenant's audience: union of segments (if any), narrowed by filter rules."""

    tenant_id: int
    segments: tuple[tuple[int, str, Group | None], ...] = ()  # (segment id, kind, rules)
    filters: Group | None = None
    statuses: tuple[str, ...] = ("active",)
    subscriber_ids: tuple[int, ...] | None = None


class json_kind(FunctionElement[str]):
    """The JSON type name of `attributes[key]` ('integer', 'number', 'text', 'boolean'...)."""

    type = String()
    inherit_cache = True
    name = "json_kind"


@compiles(json_kind, "postgresql")
def _json_kind_pg(element: json_kind, compiler: Any, **kw: Any) -> str:
    column, key = list(element.clauses)
    return f"jsonb_typeof({compiler.process(column, **kw)} -> {compiler.process(key, **kw)})"


@compiles(json_kind, "sqlite")
def _json_kind_sqlite(element: json_kind, compiler: Any, **kw: Any) -> str:
    column, key = list(element.clauses)
    path = compiler.process(literal("$.") + key, **kw)
    return f"json_type({compiler.process(column, **kw)}, {path})"


NUMBER_KINDS = ("integer", "real", "number")
BOOLEAN_KINDS = ("true", "false", "boolean")


def _attribute(key: str, value: Any) -> Any:
    """The attribute as a comparable SQL value; values of another JSON type compare as NULL.

    CASE (not AND) guards the cast: SQL does not promise to test the type before casting,
    and PostgreSQL refuses to cast "unknown" to a number.
    """
    element = Subscriber.attributes[key]
    kind = json_kind(Subscriber.attributes, literal(key))
    if isinstance(value, bool):
        return case((kind.in_(BOOLEAN_KINDS), element.as_boolean()), else_=None)
    if isinstance(value, int | float):
        return case((kind.in_(NUMBER_KINDS), element.as_float()), else_=None)
    return element.as_string()


def _tag_exists(tags: list[str]) -> ColumnElement[bool]:
    return exists().where(SubscriberTag.subscriber_id == Subscriber.id, SubscriberTag.tag.in_(tags))


def _compare(column: Any, op: str, value: Any) -> ColumnElement[bool]:
    if op == "eq":
        return column == value
    if op == "ne":
        return or_(column != value, column.is_(None))
    if op in ("in", "nin"):
        clause = column.in_(list(value))
        return clause if op == "in" else or_(not_(clause), column.is_(None))
    if op == "gt":
        return column > value
    if op == "gte":
        return column >= value
    if op == "lt":
        return column < value
    if op == "lte":
        return column <= value
    if op == "between":
        return column.between(value[0], value[1])
    if op == "contains":
        return column.contains(value, autoescape=True)
    if op == "startsWith":
        return column.startswith(value, autoescape=True)
    if op == "exists":
        return column.is_not(None) if value else column.is_(None)
    raise ValueError(f"unsupported operator {op}")


def _condition(cond: Condition) -> ColumnElement[bool]:
    if cond.field == "tags":
        values = cond.value if isinstance(cond.value, list) else [cond.value]
        if cond.op in ("contains", "in", "eq"):
            return _tag_exists(values)
        if cond.op in ("notContains", "nin", "ne"):
            return not_(_tag_exists(values))
        has_any = exists().where(SubscriberTag.subscriber_id == Subscriber.id)
        return has_any if cond.value else not_(has_any)
    if cond.field.startswith("attributes."):
        key = cond.field.split(".", 1)[1]
        sample = cond.value[0] if isinstance(cond.value, list) and cond.value else cond.value
        if cond.op == "exists":
            return _compare(Subscriber.attributes[key].as_string(), "exists", cond.value)
        return _compare(_attribute(key, sample), cond.op, cond.value)
    column = COLUMNS[cond.field]
    if cond.op == "within":
        return column >= cond.value
    if cond.op == "olderThan":
        return column < cond.value
    return _compare(column, cond.op, cond.value)


def compile_group(group: Group) -> ColumnElement[bool]:
    """A boolean SQL expression over `subscribers` for the rule tree."""
    parts = [
        compile_group(item) if isinstance(item, Group) else _condition(item) for item in group.items
    ]
    if not parts:
        return true()
    return and_(*parts) if group.mode == "all" else or_(*parts)


def _segment_clause(segment_id: int, kind: str, rules: Group | None) -> ColumnElement[bool]:
    if kind == "static":
        # IN over the member list uses its index; a correlated EXISTS made SQLite scan the tenant.
        members = select(SegmentMember.subscriber_id).where(SegmentMember.segment_id == segment_id)
        return Subscriber.id.in_(members)
    return compile_group(rules) if rules is not None else false()


def audience_where(spec: AudienceSpec) -> ColumnElement[bool]:
    """The WHERE clause selecting the spec's subscribers."""
    clauses: list[ColumnElement[bool]] = [Subscriber.tenant_id == spec.tenant_id]
    if spec.statuses:
        clauses.append(Subscriber.status.in_(spec.statuses))
    if spec.segments:
        clauses.append(or_(*(_segment_clause(*seg) for seg in spec.segments)))
    if spec.filters is not None:
        clauses.append(compile_group(spec.filters))
    if spec.subscriber_ids is not None:
        clauses.append(Subscriber.id.in_(spec.subscriber_ids))
    return and_(*clauses)


def audience_ids(spec: AudienceSpec) -> Select[int]:
    """SELECT of matching subscriber ids, for counting or INSERT ... SELECT."""
    return select(Subscriber.id).where(audience_where(spec))
