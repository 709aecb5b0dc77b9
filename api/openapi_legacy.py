"""The 3.1 document in OpenAPI 3.0 terms, for the bundled Swagger UI 4 (it reads 3.0 only)."""

from __future__ import annotations

from typing import Any

# 3.0 has no top-level webhooks (the outgoing payloads are in the 3.1 document only).
DROPPED_TOP_LEVEL = frozenset({"jsonSchemaDialect", "webhooks"})
# propertyNames is JSON Schema 2019+; 3.0 cannot say it (the 3.1 document does).
# 3.1 keywords 3.0 has no word for; the 3.0 rendering states less, never something else.
DROPPED_KEYS = frozenset({"$schema", "prefixItems", "propertyNames", "if", "then", "else"})


NULL_ONLY = {"nullable": True, "enum": [None]}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    options = [s for s in schema["anyOf"] if s not in ({"type": "null"}, NULL_ONLY)]
    rest = {k: v for k, v in schema.items() if k != "anyOf"}
    if len(options) == len(schema["anyOf"]):
        return schema
    if len(options) == 1 and "$ref" not in options[0]:
        return {**options[0], **rest, "nullable": True}
    key = "allOf" if len(options) == 1 else "anyOf"
    return {key: options, **rest, "nullable": True}


def _schema(node: Any) -> Any:
    if isinstance(node, list):
        return [_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {
        k: _properties(v) if k == "properties" else _schema(v)
        for k, v in node.items()
        if k not in DROPPED_KEYS
    }
    if isinstance(node.get("anyOf"), list):
        node = _nullable(node)
    if node.get("type") == "null":
        # 3.0 has no null type: a schema that only admits null says so with nullable + enum.
        node.pop("type")
        node.update(NULL_ONLY)
    if isinstance(node.get("type"), list):
        types = [t for t in node["type"] if t != "null"]
        if len(types) < len(node["type"]):
            node["nullable"] = True
        if len(types) == 1:
            node["type"] = types[0]
        else:
            node.pop("type")
            node["anyOf"] = [{"type": t} for t in types]
    if "const" in node:
        node["enum"] = [node.pop("const")]
    for bound, plain in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        if isinstance(node.get(bound), int | float) and not isinstance(node[bound], bool):
            node[plain] = node[bound]
            node[bound] = True
    if isinstance(node.get("examples"), list) and "schema" not in node:
        examples = node.pop("examples")
        if examples:
            node["example"] = examples[0]
    return node


def _properties(node: Any) -> Any:
    # Property names are data, not keywords: a property called `type` or `webhooks` stays.
    if not isinstance(node, dict):
        return _schema(node)
    return {name: _schema(schema) for name, schema in node.items()}


def as_openapi_30(document: dict[str, Any]) -> dict[str, Any]:
    """The same paths, schemas and security in OpenAPI 3.0.3 terms (nullable, enum for const)."""
    converted = _schema({k: v for k, v in document.items() if k not in DROPPED_TOP_LEVEL})
    converted["openapi"] = "3.0.3"
    info = dict(converted.get("info", {}))
    info.pop("summary", None)
    converted["info"] = info
    return converted
