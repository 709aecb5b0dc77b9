"""What the OpenAPI document adds to the route models: error statuses, value rules, links, tags."""

from __future__ import annotations

import re
from typing import Any

from api.registry import RouteSpec
from core.campaigns import SORTABLE
from core.deliveries import LISTABLE
from core.scheduling.views import PERIODS as SCHEDULE_PERIODS
from core.statistics import METRICS
from core.statistics import PERIODS as STATISTICS_PERIODS

ERROR_TEXT = {
    400: "Malformed JSON or invalid fields (each named in error.details)",
    401: "Missing or invalid API key",
    403: "Not yours: another tenant was named (said the same whether or not it exists)",
    404: "Not found for this tenant",
    409: "Not allowed in the current status (error.details lists allowed actions)",
    413: "Body too large (1 MiB; 16 MiB for the bulk subscriber import)",
    415: "The body is not JSON: send Content-Type: application/json",
    502: "Telegram refused or failed the call (e.g. a revoked bot token); nothing was stored",
}
TAGS = {
    "System": "Health, this document and the interactive docs; no key needed.",
    "Campaigns": "Campaign CRUD, listing, search and cloning.",
    "Campaign lifecycle": "Execute, schedule, pause, resume, cancel; progress and statistics.",
    "Delivery ledger": "One row per recipient and execution; unknown rows can be resent.",
    "Audience": "Subscribers and segments (static members or dynamic rules).",
    "Scheduled campaigns": "One-time, recurring and trigger-based schedules.",
    "Templates": "Reusable message content with declared variables.",
    "Events": "Subscriber events that start trigger-based campaigns.",
    "Tenant campaigns": (
        "tenant-campaigns-api.md under /campaigns: bare JSON, UPPERCASE statuses, NestJS-style "
        "errors {statusCode, message, error} (plus code)."
    ),
}


def _one_of(values: Any) -> str:
    return "|".join(re.escape(value) for value in values)


def _comma_list(values: Any) -> str:
    item = f"(?:{_one_of(values)})"
    return f"^{item}(?:,{item})*$"


# Values the core checks beyond the query models' own types, keyed by (path, parameter).
PARAMETER_RULES: dict[tuple[str, str], dict[str, Any]] = {
    ("/api/v1/campaigns", "sort"): {
        "type": "string",
        "pattern": f"^-?(?:{_one_of(SORTABLE)})$",
        "description": "A field to sort by; a leading '-' sorts descending.",
    },
    ("/api/v1/campaigns/{id}/statistics", "period"): {
        "type": "string",
        "enum": list(STATISTICS_PERIODS),
    },
    ("/api/v1/campaigns/{id}/statistics", "metrics"): {
        "type": "string",
        "pattern": f"^(?:all|{_comma_list(METRICS)[1:-1]})$",
        "description": "'all' or a comma list of " + ", ".join(METRICS) + ".",
    },
    ("/api/v1/campaigns/{id}/deliveries", "status"): {
        "type": "string",
        "pattern": _comma_list(LISTABLE),
        "description": "A comma list of " + ", ".join(LISTABLE) + ".",
    },
    ("/api/v1/scheduled-campaigns/statistics/{period}", "period"): {
        "type": "string",
        "enum": list(SCHEDULE_PERIODS),
    },
}
ID_PARAMETER = {
    "type": "string",
    "minLength": 1,
    "description": "A prefixed id such as camp_12, seg_3, sub_7, tmpl_2, sched_4.",
}


# The models strip whitespace and treat an empty string as absent ("give exactly one").
BLANK = {"anyOf": [{"type": "null"}, {"type": "string", "pattern": "^\\s*$"}]}
NOT_BLANK = {"type": "string", "pattern": "\\S"}


def public_id(prefix: str) -> str:
    """A public id as core.ids reads it (prefix, _, 1-18 digits, not zero), once stripped."""
    return f"^\\s*{prefix}_(?!0+\\s*$)[0-9]{{1,18}}\\s*$"


# A tag once stripped: 1..64 characters.
TAG = "^\\s*\\S(?:.{0,62}\\S)?\\s*$"


def exactly_one(first: str, second: str, first_rule: dict[str, Any]) -> dict[str, Any]:
    """JSON Schema: one of two fields given (non-blank), the other absent, null or blank."""
    return {
        "oneOf": [
            {
                "required": [first],
                "properties": {first: {"allOf": [NOT_BLANK, first_rule]}, second: BLANK},
            },
            {"required": [second], "properties": {second: NOT_BLANK, first: BLANK}},
        ]
    }


# Rules of the core's input models that their generated schemas do not carry (their
# model-level validators), keyed by component name.
COMPONENT_RULES: dict[str, dict[str, Any]] = {
    "Media": exactly_one("url", "fileId", {"pattern": "^\\s*https?://"}),
    "Button": exactly_one("url", "callbackData", {"pattern": "^\\s*(?:https?|tg)://"}),
}
# (component, string property): a rule its value must also meet.
VALUE_RULES: dict[tuple[str, str], dict[str, Any]] = {
    ("ScheduleCreate", "campaignId"): {"pattern": public_id("camp")},
}
# (component, array property): a rule every item must also meet.
ITEM_RULES: dict[tuple[str, str], dict[str, Any]] = {
    ("SubscriberInput", "tags"): {"pattern": TAG},
    ("SegmentInput", "members"): {"pattern": public_id("sub")},
    ("TargetAudience", "segments"): {"pattern": public_id("seg")},
}


def _with_rule(schema: dict[str, Any], rule: dict[str, Any], kind: str) -> dict[str, Any]:
    """`schema` whose `kind` (string or array) branch also meets `rule` (its items, for an
    array)."""
    if "anyOf" in schema:  # Optional[...]
        return {**schema, "anyOf": [_with_rule(branch, rule, kind) for branch in schema["anyOf"]]}
    if schema.get("type") != kind:
        return schema
    if kind == "array":
        return {**schema, "items": _with_rule(schema["items"], rule, "string")}
    return {**schema, "allOf": [*schema.get("allOf", []), rule]}


def apply_schema_rules(schemas: dict[str, Any]) -> dict[str, Any]:
    """`schemas` (components) with COMPONENT_RULES, VALUE_RULES and ITEM_RULES added."""
    schemas = dict(schemas)
    for name, rule in COMPONENT_RULES.items():
        if name in schemas:
            schemas[name] = {**schemas[name], **rule}
    rules = [(key, rule, "string") for key, rule in VALUE_RULES.items()]
    rules += [(key, rule, "array") for key, rule in ITEM_RULES.items()]
    for (name, prop), rule, kind in rules:
        properties = schemas.get(name, {}).get("properties", {})
        if prop in properties:
            properties = {**properties, prop: _with_rule(properties[prop], rule, kind)}
            schemas[name] = {**schemas[name], "properties": properties}
    return schemas


def error_statuses(spec: RouteSpec) -> list[int]:
    """Every error status the route can answer: its own plus those its shape implies."""
    statuses = set(spec.errors)
    if spec.body is not None:
        statuses |= {400, 413, 415}
    if spec.query is not None:
        statuses.add(400)
    if not spec.public:
        statuses.add(401)
    if "{id}" in spec.path:
        statuses.add(404)
    return sorted(statuses)


# pydantic constraint names that leak into a schema (e.g. through WithJsonSchema) as-is.
PYDANTIC_BOUNDS = {
    "ge": "minimum",
    "le": "maximum",
    "gt": "exclusiveMinimum",
    "lt": "exclusiveMaximum",
}


def inline_refs(node: Any, defs: dict[str, Any]) -> Any:
    """`node` with every `#/$defs/…` reference replaced by its definition (and bounds named
    as JSON Schema names them)."""
    if isinstance(node, list):
        return [inline_refs(item, defs) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        target = inline_refs(defs[ref.rsplit("/", 1)[1]], defs)
        return {**target, **{k: inline_refs(v, defs) for k, v in node.items() if k != "$ref"}}
    return {PYDANTIC_BOUNDS.get(k, k): inline_refs(v, defs) for k, v in node.items()}


def standard_bounds(node: Any) -> Any:
    """`node` with pydantic's bound names (`ge`, `lt`...) on numeric schemas renamed to JSON
    Schema's: a bound given after a validator (WholeInt) is otherwise dumped as-is."""
    if isinstance(node, list):
        return [standard_bounds(item) for item in node]
    if not isinstance(node, dict):
        return node
    numeric = node.get("type") in ("integer", "number")
    return {
        (PYDANTIC_BOUNDS.get(k, k) if numeric else k): standard_bounds(v) for k, v in node.items()
    }


def parameter_schema(path: str, name: str, schema: dict[str, Any]) -> dict[str, Any]:
    """A query or path parameter's schema, with the values the core accepts where it checks them."""
    if "anyOf" in schema:  # Optional[X]: a query parameter is absent, never null
        options = [s for s in schema["anyOf"] if s.get("type") != "null"]
        rest = {k: v for k, v in schema.items() if k != "anyOf"}
        schema = {**options[0], **rest} if len(options) == 1 else schema
    schema = {k: v for k, v in schema.items() if k != "title"}
    if schema.get("type") == "string" and "enum" not in schema:
        # An empty value is refused (api.query.parse_query), not read as "absent".
        schema.setdefault("minLength", 1)
    rule = PARAMETER_RULES.get((path, name))
    if rule is not None:  # the set of values the core accepts: narrower than any type rule
        schema = {**schema, **rule}
    return schema


def item_path(spec: RouteSpec) -> str | None:
    """The item path (`…/{id}`) of what a POST creates, or None when it creates nothing."""
    if spec.method != "POST" or 201 not in (spec.status, *spec.also):
        return None
    collection = re.sub(r"/\{id\}/\w+$", "", spec.path)
    return collection + "/{id}"


def operation_ids(specs: list[RouteSpec]) -> dict[int, str]:
    """A unique camelCase operationId per spec (by handler name; qualified when names clash)."""
    names = [spec.handler.__name__ for spec in specs]
    ids: dict[int, str] = {}
    for index, spec in enumerate(specs):
        name = spec.handler.__name__
        if names.count(name) > 1:
            name = f"{spec.handler.__module__.rsplit('.', 1)[-1]}_{name}"
        head, *rest = name.split("_")
        ids[index] = head + "".join(part.capitalize() for part in rest)
    return ids


def links_for(spec: RouteSpec, specs: list[RouteSpec], ids: dict[int, str]) -> dict[str, Any]:
    """OpenAPI links from a creating POST to every operation on the created item."""
    item = item_path(spec)
    if item is None:
        return {}
    links = {}
    for index, other in enumerate(specs):
        if other.path == item or other.path.startswith(item + "/"):
            links[ids[index]] = {
                "operationId": ids[index],
                "parameters": {
                    "path.id": "$response.body#/data/id" if spec.enveloped else "$response.body#/id"
                },
                "description": f"{other.method} {other.path} on the created item",
            }
    return links
