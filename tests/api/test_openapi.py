"""The OpenAPI document says what the server enforces: statuses, value rules, security, links."""

from __future__ import annotations

from typing import Any, get_args

import pytest
import schemathesis
from pydantic import BaseModel

from api.app import FACES, ROUTERS, VERSION
from api.dialects import dialect_for
from api.openapi import build_openapi
from api.openapi_legacy import as_openapi_30
from core.campaigns import SORTABLE
from core.statistics import PERIODS

DOCUMENT = build_openapi([spec for router in ROUTERS for spec in router.specs], VERSION)
ERROR_REF = "#/components/schemas/ErrorEnvelope"


def error_ref(path: str) -> str:
    """The error schema of the face that owns `path` (the envelope unless another face does)."""
    face = dialect_for(FACES, path)
    return f"#/components/schemas/{face.error_model.__name__}" if face else ERROR_REF


def operations() -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, item in DOCUMENT["paths"].items()
        for method, operation in item.items()
    ]


def parameter(path: str, method: str, name: str) -> dict[str, Any]:
    params = DOCUMENT["paths"][path][method]["parameters"]
    return next(p for p in params if p["name"] == name)


@pytest.mark.parametrize(("method", "path", "operation"), operations())
def test_every_error_status_is_documented_with_its_faces_error_shape(method, path, operation):
    responses = operation["responses"]
    expected = set()
    if "requestBody" in operation:
        expected |= {"400", "413", "415"}
    if "security" in operation:
        expected.add("401")
        assert responses["401"]["headers"]["WWW-Authenticate"]["required"] is True
    if "{id}" in path:
        expected.add("404")
    assert expected <= set(responses), (method, path)
    for status, response in responses.items():
        if status.startswith(("4", "5")) and status != "503":
            schema = response["content"]["application/json"]["schema"]
            assert schema == {"$ref": error_ref(path)}, (method, path, status)


def test_the_error_envelope_schema_is_the_one_the_server_sends():
    schemas = DOCUMENT["components"]["schemas"]
    envelope = schemas["ErrorEnvelope"]
    assert envelope["properties"]["success"]["const"] is False
    assert set(envelope["required"]) == {"error"}
    body = schemas["ErrorBody"]
    assert {"code", "message"} <= set(body["required"])
    assert body["properties"]["details"]["type"] == "array"


def test_operation_ids_are_unique_and_every_operation_is_tagged():
    ids = [operation["operationId"] for _, _, operation in operations()]
    assert len(ids) == len(set(ids))
    tags = {tag["name"] for tag in DOCUMENT["tags"]}
    for method, path, operation in operations():
        assert operation["tags"] and set(operation["tags"]) <= tags, (method, path)


def test_both_key_headers_are_security_schemes():
    schemes = DOCUMENT["components"]["securitySchemes"]
    assert schemes["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "Authorization: Bearer <API key>",
    }
    assert schemes["apiKey"] == {"type": "apiKey", "in": "header", "name": "X-API-Key"}


def test_query_parameters_are_never_null_and_carry_the_core_rules():
    for method, path, operation in operations():
        for param in operation.get("parameters", []):
            assert '"null"' not in str(param["schema"]).replace("'", '"'), (method, path, param)
            assert "$ref" not in str(param["schema"]), (method, path, param)
    sort = parameter("/api/v1/campaigns", "get", "sort")["schema"]
    assert sort["pattern"] == "^-?(?:" + "|".join(SORTABLE) + ")$"
    period = parameter("/api/v1/campaigns/{id}/statistics", "get", "period")["schema"]
    assert period["enum"] == list(PERIODS)
    status = parameter("/api/v1/campaigns", "get", "status")["schema"]
    assert "draft" in status["enum"]
    limit = parameter("/api/v1/campaigns", "get", "limit")["schema"]
    assert (limit["minimum"], limit["maximum"]) == (1, 100)


def test_a_created_campaign_links_to_every_operation_on_its_id():
    links = DOCUMENT["paths"]["/api/v1/campaigns"]["post"]["responses"]["201"]["links"]
    linked = {link["operationId"] for link in links.values()}
    on_item = {
        operation["operationId"]
        for method, path, operation in operations()
        if path.startswith("/api/v1/campaigns/{id}")
    }
    assert linked == on_item
    for link in links.values():
        assert link["parameters"] == {"path.id": "$response.body#/data/id"}


def test_every_creating_route_links_its_item_routes():
    for path in ("/api/v1/segments", "/api/v1/templates", "/api/v1/scheduled-campaigns"):
        assert DOCUMENT["paths"][path]["post"]["responses"]["201"]["links"], path
    clone = DOCUMENT["paths"]["/api/v1/campaigns/{id}/clone"]["post"]["responses"]["201"]
    assert "getCampaign" in clone["links"]


def test_the_document_is_valid_openapi_3_1():
    schemathesis.openapi.from_dict(DOCUMENT).validate()  # raises on any meta-schema violation
    assert DOCUMENT["openapi"].startswith("3.1")


def test_outgoing_webhooks_are_listed_in_3_1_and_left_out_of_3_0():
    created = DOCUMENT["webhooks"]["campaign.created"]["post"]
    headers = {p["name"]: p for p in created["parameters"]}
    assert set(headers) == {"webhook-id", "webhook-timestamp", "webhook-signature"}
    assert all(p["in"] == "header" and p["required"] for p in headers.values())
    assert created["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/CampaignCreatedEvent"
    }
    legacy = as_openapi_30(DOCUMENT)
    assert "webhooks" not in legacy
    # Only the top-level key goes: a property that happens to be called `webhooks` stays.
    listed = legacy["components"]["schemas"]["WebhookList"]
    assert "webhooks" in listed["properties"] and "webhooks" in listed["required"]


def _models_in(annotation: Any, seen: dict[str, set[type]]) -> None:
    for arg in get_args(annotation):
        _models_in(arg, seen)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if annotation in seen.setdefault(annotation.__name__, set()):
            return
        seen[annotation.__name__].add(annotation)
        for field in annotation.model_fields.values():
            _models_in(field.annotation, seen)


def test_no_two_models_share_a_schema_name():
    # The document names a schema by its class: two classes of one name would be one schema.
    seen: dict[str, set[type]] = {}
    for spec in (spec for router in ROUTERS for spec in router.specs):
        for model in (spec.body, spec.query, spec.response, spec.error_model):
            _models_in(model, seen)
    clashes = {name: sorted(m.__module__ for m in models) for name, models in seen.items()
               if len(models) > 1}  # fmt: skip
    assert clashes == {}
