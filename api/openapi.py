"""OpenAPI 3.1 document generated from the registered routes and their pydantic models."""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web
from openapi_pydantic import (
    Header,
    Info,
    MediaType,
    OpenAPI,
    Operation,
    Parameter,
    PathItem,
    Reference,
    RequestBody,
    Response,
)
from openapi_pydantic.util import PydanticSchema, construct_open_api_with_schema_class
from pydantic import BaseModel

from api.openapi_rules import (
    ERROR_TEXT,
    ID_PARAMETER,
    TAGS,
    apply_schema_rules,
    error_statuses,
    inline_refs,
    links_for,
    operation_ids,
    parameter_schema,
    standard_bounds,
)
from api.registry import RouteSpec
from api.schemas import ErrorEnvelope
from api.webhook_payload_schemas import WEBHOOK_EVENTS, WebhookDoc
from core.campaign_types.registry import POLICIES
from core.validation import FREE_FORM, JSON_VALUE_REF, JSON_VALUE_SCHEMA

OPENAPI = web.AppKey("openapi", dict)
SECURITY_SCHEMES = {
    "bearer": {
        "type": "http",
        "scheme": "bearer",
        "description": "Authorization: Bearer <API key>",
    },
    "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
}
SECURITY: list[dict[str, list[str]]] = [{"bearer": []}, {"apiKey": []}]
UNAUTHORIZED_HEADERS: dict[str, Header | Reference] = {
    "WWW-Authenticate": Header.model_validate(
        {
            "description": "The Bearer challenge",
            "required": True,
            "schema": {"type": "string", "pattern": "^Bearer"},
        }
    )
}
WEBHOOK_TAG = "Webhook events"
WEBHOOK_TAG_TEXT = (
    "What the service POSTs to registered endpoints (see /api/v1/webhooks): one signed JSON "
    "event per request, retried until a 2xx answer."
)
# Standard Webhooks (https://www.standardwebhooks.com/): every attempt carries these three.
WEBHOOK_HEADERS = {
    "webhook-id": (
        {"type": "string", "pattern": "^msg_[0-9a-f]{32}$"},
        "The event's id for this endpoint, the same on every attempt: deduplicate on it.",
    ),
    "webhook-timestamp": (
        {"type": "integer"},
        "Unix seconds of this attempt (signed with the body).",
    ),
    "webhook-signature": (
        {"type": "string", "pattern": "^v1,[A-Za-z0-9+/=]+( v1,[A-Za-z0-9+/=]+)*$"},
        "`v1,<base64 HMAC-SHA256>` of `id.timestamp.body`; during a secret rotation two, "
        "separated by a space (the new secret's and the previous one's).",
    ),
}
WEBHOOK_RESPONSES = {
    "2XX": "Delivered.",
    "410": "Gone: the delivery is dead and the endpoint is disabled.",
    "default": "Not delivered: retried after 5 s, 1 min, 5 min, 30 min, 2 h, 6 h and 12 h "
    "(each plus up to 10 % jitter), then dead.",
}
DESCRIPTION = (
    "Every answer is an envelope: `{success: true, data}` or "
    "`{success: false, error: {code, message, details}}`. "
    "Send the API key as `Authorization: Bearer <key>` or `X-API-Key: <key>`."
)


def _json(model: type[BaseModel]) -> dict[str, MediaType]:
    # model_validate with the wire names ("schema", "in"): the constructors' keyword names are the
    # aliases, which mypy cannot type (`in` is a keyword, `enum` looks required).
    schema: PydanticSchema[BaseModel] = PydanticSchema.model_validate({"schema_class": model})
    return {"application/json": MediaType.model_validate({"schema": schema})}


def _query_parameters(path: str, model: type[BaseModel]) -> list[Parameter | Reference]:
    schema = model.model_json_schema()
    required = set(schema.get("required", []))
    defs = schema.get("$defs", {})
    return [
        Parameter.model_validate(
            {
                "name": name,
                "in": "query",
                "required": name in required,
                "schema": parameter_schema(path, name, inline_refs(prop, defs)),
            }
        )
        for name, prop in schema.get("properties", {}).items()
    ]


def _path_schema(name: str) -> dict[str, Any]:
    return dict(ID_PARAMETER) if name == "id" else {"type": "string"}


def _path_parameters(path: str) -> list[Parameter | Reference]:
    return [
        Parameter.model_validate(
            {
                "name": name,
                "in": "path",
                "required": True,
                "schema": parameter_schema(path, name, _path_schema(name)),
            }
        )
        for name in re.findall(r"{(\w+)}", path)
    ]


def _operation(spec: RouteSpec, operation_id: str) -> Operation:
    parameters = _path_parameters(spec.path)
    if spec.query is not None:
        parameters += _query_parameters(spec.path, spec.query)
    responses: dict[str, Response | Reference] = {
        str(status): Response(
            description=spec.summary,
            content=_json(spec.response) if spec.response is not None else None,
        )
        for status in (spec.status, *spec.also)
    }
    for status in error_statuses(spec):
        responses[str(status)] = Response(
            description=ERROR_TEXT[status],
            content=_json(spec.error_model or ErrorEnvelope),
            headers=UNAUTHORIZED_HEADERS if status == 401 else None,
        )
    return Operation(
        summary=spec.summary,
        description=(spec.handler.__doc__ or "").strip() or None,
        operationId=operation_id,
        tags=[spec.tag],
        parameters=parameters or None,
        requestBody=(
            RequestBody(content=_json(spec.body), required=not spec.body_optional)
            if spec.body is not None
            else None
        ),
        responses=responses,
        security=None if spec.public else SECURITY,
    )


def _webhook_parameters() -> list[Parameter | Reference]:
    return [
        Parameter.model_validate(
            {"name": name, "in": "header", "required": True, "schema": schema, "description": text}
        )
        for name, (schema, text) in WEBHOOK_HEADERS.items()
    ]


def _webhook(event_type: str, doc: WebhookDoc) -> PathItem:
    """The POST the service sends to an endpoint subscribed to `event_type`."""
    name = "".join(word.capitalize() for word in re.split(r"[._]", event_type))
    responses: dict[str, Response | Reference] = {
        status: Response(description=text) for status, text in WEBHOOK_RESPONSES.items()
    }
    return PathItem(
        post=Operation(
            summary=doc.summary,
            description=(
                f"Sent to every enabled endpoint subscribed to `{event_type}` (or `*`). "
                "Verify the signature before trusting the body."
            ),
            operationId=f"on{name}",
            tags=[WEBHOOK_TAG],
            parameters=_webhook_parameters(),
            requestBody=RequestBody(content=_json(doc.model), required=True),
            responses=responses,
        )
    )


def _add_links(data: dict[str, Any], specs: list[RouteSpec], ids: dict[int, str]) -> None:
    for spec in specs:
        links = links_for(spec, specs, ids)
        if links:
            responses = data["paths"][spec.path][spec.method.lower()]["responses"]
            responses["201"]["links"] = links


def _tidy_parameters(data: dict[str, Any]) -> None:
    # openapi-pydantic dumps these defaults; on path parameters the 3.1 meta-schema forbids them.
    for item in [*data["paths"].values(), *data.get("webhooks", {}).values()]:
        for operation in item.values():
            for parameter in operation.get("parameters", []):
                for key in ("allowEmptyValue", "allowReserved", "deprecated"):
                    if parameter.get(key) is False:
                        del parameter[key]


def _free_form_values(node: Any) -> Any:
    """Every free-form object's values described as JsonValue (see core.validation)."""
    if isinstance(node, list):
        return [_free_form_values(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {k: _free_form_values(v) for k, v in node.items()}
    if node.pop(FREE_FORM, False):
        node["additionalProperties"] = {"$ref": JSON_VALUE_REF}
    return node


def _add_type_settings(schemas: dict[str, Any]) -> None:
    """Each campaign type's `settings` schema as a component (named in the field's text)."""
    for policy in POLICIES.values():
        model = policy.settings_model
        if model is None:
            continue
        schema = model.model_json_schema(by_alias=True, ref_template="#/components/schemas/{model}")
        for name, part in {**schema.pop("$defs", {}), model.__name__: schema}.items():
            if schemas.get(name, part) != part:
                raise RuntimeError(f"two schemas are named {name} in the OpenAPI document")
            schemas[name] = part


def build_openapi(specs: list[RouteSpec], version: str) -> dict[str, Any]:
    """The whole document as a JSON-ready dict."""
    ids = operation_ids(specs)
    paths: dict[str, dict[str, Operation]] = {}
    for index, spec in enumerate(specs):
        paths.setdefault(spec.path, {})[spec.method.lower()] = _operation(spec, ids[index])
    document = OpenAPI(
        info=Info(title="tg-campaigns API", version=version, description=DESCRIPTION),
        paths={path: PathItem.model_validate(ops) for path, ops in paths.items()},
        webhooks={name: _webhook(name, doc) for name, doc in WEBHOOK_EVENTS.items()},
    )
    document = construct_open_api_with_schema_class(document)
    data = document.model_dump(mode="json", by_alias=True, exclude_none=True)
    components = data.setdefault("components", {})
    schemas = apply_schema_rules(standard_bounds(components.get("schemas", {})))
    components["schemas"] = {
        **_free_form_values(schemas),
        JSON_VALUE_REF.rsplit("/", 1)[1]: JSON_VALUE_SCHEMA,
    }
    _add_type_settings(components["schemas"])
    components["securitySchemes"] = SECURITY_SCHEMES
    used = dict.fromkeys(spec.tag for spec in specs)
    data["tags"] = [{"name": tag, "description": TAGS.get(tag, tag)} for tag in used]
    data["tags"].append({"name": WEBHOOK_TAG, "description": WEBHOOK_TAG_TEXT})
    _add_links(data, specs, ids)
    _tidy_parameters(data)
    return data
