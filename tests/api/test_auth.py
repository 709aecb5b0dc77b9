"""API keys, tenant isolation, body limits, routing error envelopes, and the OpenAPI document."""

from __future__ import annotations

import asyncio
import io
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import select

from api.parsing import MAX_BODY
from storage.models import ApiKey

CAMPAIGNS = "/api/v1/campaigns"
SEGMENTS = "/api/v1/segments"
SUBSCRIBERS = "/api/v1/subscribers"
PUBLIC_SYSTEM_PATHS = {"/healthz", "/api/v1/openapi.json"}


def key_of(headers: dict[str, str]) -> str:
    if "X-API-Key" in headers:
        return headers["X-API-Key"]
    return headers["Authorization"].removeprefix("Bearer ")


def assert_error(body: dict[str, Any], code: str) -> None:
    assert body["success"] is False
    assert set(body) == {"success", "error"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    assert isinstance(body["error"]["details"], list)


# --- authentication ------------------------------------------------------------------------

PROTECTED = [
    ("get", CAMPAIGNS),
    ("post", CAMPAIGNS),
    ("get", f"{CAMPAIGNS}/camp_1"),
    ("post", f"{CAMPAIGNS}/camp_1/execute"),
    ("get", SEGMENTS),
    ("delete", f"{SEGMENTS}/seg_1"),
    ("get", f"{SEGMENTS}/seg_1/count"),
    ("get", SUBSCRIBERS),
    ("post", SUBSCRIBERS),
    ("get", f"{SUBSCRIBERS}/sub_1"),
]


async def test_no_key_is_401_with_www_authenticate(api):
    for method, url in PROTECTED:
        response = await getattr(api, method)(url)
        assert response.status == 401, (method, url)
        assert response.headers.get("WWW-Authenticate", "").startswith("Bearer"), url
        assert_error(await response.json(), "UNAUTHORIZED")


async def test_wrong_key_is_401(api, auth):
    real = key_of(auth)
    forged = real[:-1] + ("A" if real[-1] != "A" else "B")
    for headers in (
        {"Authorization": "Bearer tgc_not-a-real-key"},
        {"Authorization": f"Bearer {forged}"},
        {"X-API-Key": forged},
        {"X-API-Key": "x" * 500},
        {"Authorization": f"Basic {real}"},  # not a scheme the API takes
        {"Authorization": "Bearer "},
    ):
        response = await api.get(CAMPAIGNS, headers=headers)
        assert response.status == 401, headers
        assert "WWW-Authenticate" in response.headers, headers
        assert_error(await response.json(), "UNAUTHORIZED")
    response = await api.get(CAMPAIGNS, headers={"Authorization": "Bearer tgc_wrong"})
    assert "invalid_token" in response.headers["WWW-Authenticate"]


async def test_bearer_and_x_api_key_both_work_for_the_same_tenant(api, auth):
    key = key_of(auth)
    response = await api.post(
        SEGMENTS,
        json={"name": "made with bearer", "members": []},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert response.status == 201
    segment_id = (await response.json())["data"]["id"]
    for headers in ({"X-API-Key": key}, {"authorization": f"bearer {key}"}):
        response = await api.get(f"{SEGMENTS}/{segment_id}", headers=headers)
        assert response.status == 200, headers
        assert (await response.json())["data"]["name"] == "made with bearer"


async def test_api_keys_are_stored_hashed(api, auth, other_auth, core, engine, backend):
    keys = [key_of(auth), key_of(other_auth)]
    for key in keys:
        assert key.startswith("tgc_") and len(key) > 30
        response = await api.get(CAMPAIGNS, headers={"X-API-Key": key})
        assert response.status == 200

    async with core.uow() as uow:
        rows = (await uow.session.scalars(select(ApiKey))).all()
        assert len(rows) == 2
        for row in rows:
            stored = [str(getattr(row, column.key)) for column in ApiKey.__table__.columns]
            for key in keys:
                assert not any(key in value for value in stored)
                assert not any(key[4:] in value for value in stored)
            assert re.fullmatch(r"[0-9a-f]{64}", row.key_hash)
        assert len({row.key_hash for row in rows}) == 2

    if backend == "sqlite":
        folder = Path(engine.url.database).parent
        raw = b"".join(path.read_bytes() for path in folder.glob("test.db*"))
        assert raw, "the SQLite files were not found"
        for key in keys:
            assert key.encode() not in raw
            assert key[4:].encode() not in raw


# --- tenant isolation ----------------------------------------------------------------------


async def test_campaign_of_tenant_a_is_404_for_tenant_b(api, auth, other_auth):
    response = await api.post(
        CAMPAIGNS,
        json={"name": "A's campaign", "messages": [{"content": "hello"}]},
        headers=auth,
    )
    assert response.status == 201
    camp = (await response.json())["data"]["id"]
    later = (datetime.now(UTC) + timedelta(days=2)).isoformat()

    attempts = [
        ("get", f"{CAMPAIGNS}/{camp}", None),
        ("put", f"{CAMPAIGNS}/{camp}", {"name": "hijacked"}),
        ("patch", f"{CAMPAIGNS}/{camp}", {"name": "hijacked"}),
        ("delete", f"{CAMPAIGNS}/{camp}", None),
        ("post", f"{CAMPAIGNS}/{camp}/execute", {}),
        ("post", f"{CAMPAIGNS}/{camp}/execute", None),
        ("post", f"{CAMPAIGNS}/{camp}/schedule", {"scheduledAt": later}),
        ("post", f"{CAMPAIGNS}/{camp}/pause", None),
        ("post", f"{CAMPAIGNS}/{camp}/resume", None),
        ("post", f"{CAMPAIGNS}/{camp}/cancel", None),
        ("post", f"{CAMPAIGNS}/{camp}/clone", None),
        ("get", f"{CAMPAIGNS}/{camp}/progress", None),
        ("get", f"{CAMPAIGNS}/{camp}/statistics", None),
        ("get", f"{CAMPAIGNS}/{camp}/interactions", None),
    ]
    for method, url, body in attempts:
        kwargs: dict[str, Any] = {"headers": other_auth}
        if body is not None:
            kwargs["json"] = body
        response = await getattr(api, method)(url, **kwargs)
        assert response.status == 404, (method, url)
        assert_error(await response.json(), "CAMPAIGN_NOT_FOUND")

    listed = await (await api.get(CAMPAIGNS, headers=other_auth)).json()
    assert listed["data"]["campaigns"] == []
    assert listed["data"]["pagination"]["total"] == 0

    # Untouched for its owner.
    own = await (await api.get(f"{CAMPAIGNS}/{camp}", headers=auth)).json()
    assert (own["data"]["name"], own["data"]["status"]) == ("A's campaign", "draft")
    listed = await (await api.get(CAMPAIGNS, headers=auth)).json()
    assert [c["id"] for c in listed["data"]["campaigns"]] == [camp]


async def test_segment_of_tenant_a_is_404_for_tenant_b(api, auth, other_auth):
    response = await api.post(
        SEGMENTS,
        json={
            "name": "A's segment",
            "rules": {"all": [{"field": "status", "op": "eq", "value": "active"}]},
        },
        headers=auth,
    )
    assert response.status == 201
    seg = (await response.json())["data"]["id"]
    rules = {"all": [{"field": "languageCode", "op": "eq", "value": "en"}]}

    for method, url, body in (
        ("get", f"{SEGMENTS}/{seg}", None),
        ("get", f"{SEGMENTS}/{seg}/count", None),
        ("put", f"{SEGMENTS}/{seg}", {"name": "hijacked", "rules": rules}),
        ("delete", f"{SEGMENTS}/{seg}", None),
    ):
        kwargs: dict[str, Any] = {"headers": other_auth}
        if body is not None:
            kwargs["json"] = body
        response = await getattr(api, method)(url, **kwargs)
        assert response.status == 404, (method, url)
        assert_error(await response.json(), "SEGMENT_NOT_FOUND")

    listed = await (await api.get(SEGMENTS, headers=other_auth)).json()
    assert listed["data"]["segments"] == []
    assert listed["data"]["pagination"]["total"] == 0

    # Tenant B cannot target A's segment either.
    response = await api.post(
        CAMPAIGNS, json={"name": "B", "targetAudience": {"segments": [seg]}}, headers=other_auth
    )
    assert response.status == 400
    body = await response.json()
    assert [d["field"] for d in body["error"]["details"]] == ["targetAudience.segments[0]"]

    own = await (await api.get(f"{SEGMENTS}/{seg}", headers=auth)).json()
    assert own["data"]["name"] == "A's segment"


async def test_subscriber_of_tenant_a_is_invisible_to_tenant_b(api, auth, other_auth):
    response = await api.post(
        SUBSCRIBERS, json={"telegramId": 777, "firstName": "Alice", "tags": ["a"]}, headers=auth
    )
    assert response.status == 201
    sub = (await response.json())["data"]["id"]

    for method in ("get", "delete"):
        response = await getattr(api, method)(f"{SUBSCRIBERS}/{sub}", headers=other_auth)
        assert response.status == 404, method
        assert_error(await response.json(), "SUBSCRIBER_NOT_FOUND")
    for query in ("", "?search=777", "?search=alice", "?tag=a"):
        listed = await (await api.get(SUBSCRIBERS + query, headers=other_auth)).json()
        assert listed["data"]["subscribers"] == [], query
        assert listed["data"]["pagination"]["total"] == 0, query

    # B's static segment naming A's subscriber is refused as naming an unknown subscriber
    # (the same answer as for an id nobody has); B's "everyone" is empty.
    response = await api.post(SEGMENTS, json={"name": "s", "members": [sub]}, headers=other_auth)
    assert response.status == 400
    error = (await response.json())["error"]
    assert error["code"] == "SUBSCRIBER_NOT_FOUND"
    assert error["details"][0]["message"] == f"unknown subscriber '{sub}'"
    response = await api.post(CAMPAIGNS, json={"name": "B everyone"}, headers=other_auth)
    camp = (await response.json())["data"]["id"]
    shown = await (await api.get(f"{CAMPAIGNS}/{camp}", headers=other_auth)).json()
    assert shown["data"]["targetAudience"]["totalCount"] == 0

    # The same Telegram user is a separate subscriber of tenant B.
    response = await api.post(
        SUBSCRIBERS, json={"telegramId": 777, "firstName": "Mallory"}, headers=other_auth
    )
    assert response.status == 201
    assert (await response.json())["data"]["id"] != sub
    own = await (await api.get(f"{SUBSCRIBERS}/{sub}", headers=auth)).json()
    assert (own["data"]["firstName"], own["data"]["tags"]) == ("Alice", ["a"])
    listed = await (await api.get(SUBSCRIBERS, headers=auth)).json()
    assert listed["data"]["pagination"]["total"] == 1


# --- body limits ---------------------------------------------------------------------------


def json_of_size(size: int) -> bytes:
    """A valid campaign JSON body of exactly `size` bytes."""
    head, tail = b'{"name": "big", "description": "', b'"}'
    return head + b"a" * (size - len(head) - len(tail)) + tail


async def test_body_over_1_mib_is_413_in_the_envelope(api, auth):
    response = await api.post(CAMPAIGNS, json={"name": "small"}, headers=auth)
    assert response.status == 201
    camp = (await response.json())["data"]["id"]

    body = json_of_size(MAX_BODY + 1)
    assert MAX_BODY == 1024 * 1024 and orjson.loads(body)
    headers = {**auth, "Content-Type": "application/json"}
    for method, url in (
        ("post", CAMPAIGNS),
        ("put", f"{CAMPAIGNS}/{camp}"),
        ("post", SEGMENTS),
    ):
        response = await getattr(api, method)(url, data=io.BytesIO(body), headers=headers)
        assert response.status == 413, (method, url)
        assert_error(await response.json(), "PAYLOAD_TOO_LARGE")

    listed = await (await api.get(CAMPAIGNS, headers=auth)).json()
    assert [c["name"] for c in listed["data"]["campaigns"]] == ["small"]


async def test_chunked_body_over_1_mib_is_413(api, auth):
    await api.get(CAMPAIGNS, headers=auth)
    body = json_of_size(MAX_BODY + 64 * 1024)

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(body), 64 * 1024):
            yield body[start : start + 64 * 1024]
            await asyncio.sleep(0)

    response = await api.post(
        CAMPAIGNS, data=chunks(), headers={**auth, "Content-Type": "application/json"}
    )
    assert response.status == 413
    assert_error(await response.json(), "PAYLOAD_TOO_LARGE")


# --- routing errors ------------------------------------------------------------------------


async def test_unknown_route_is_404_envelope(api, auth):
    for url in ("/api/v1/nope", f"{CAMPAIGNS}/camp_1/explode", "/api/v2/campaigns", "/nope"):
        response = await api.get(url, headers=auth)
        assert response.status == 404, url
        assert response.content_type == "application/json"
        assert_error(await response.json(), "NOT_FOUND")


async def test_wrong_method_is_405_envelope(api, auth):
    for method, url, allowed in (
        ("patch", SUBSCRIBERS, {"GET", "POST"}),
        ("delete", CAMPAIGNS, {"GET", "POST"}),
        ("post", f"{SEGMENTS}/seg_1/count", {"GET"}),
        ("put", f"{SUBSCRIBERS}/sub_1", {"GET", "DELETE"}),
        ("post", "/healthz", {"GET"}),
    ):
        response = await getattr(api, method)(url, headers=auth)
        assert response.status == 405, (method, url)
        assert response.content_type == "application/json"
        assert_error(await response.json(), "METHOD_NOT_ALLOWED")
        assert set(response.headers["Allow"].split(",")) == allowed, url


# --- OpenAPI -------------------------------------------------------------------------------


async def openapi(api) -> dict[str, Any]:
    response = await api.get("/api/v1/openapi.json")  # no key: it is public
    assert response.status == 200
    return await response.json()


def refs_in(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [ref for value in node.values() for ref in refs_in(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in refs_in(value)]
    return []


def success_schema(operation: dict[str, Any]) -> dict[str, Any] | None:
    responses = operation["responses"]
    for status in ("200", "201", "202"):
        if status in responses:
            content = responses[status].get("content") or {}
            return (content.get("application/json") or {}).get("schema")
    raise AssertionError(f"no 2xx response in {operation.get('operationId')}")


async def test_openapi_is_public_3_1_and_lists_every_registered_route(api):
    doc = await openapi(api)
    assert doc["openapi"].startswith("3.1")
    assert doc["info"]["title"] and doc["info"]["version"]

    registered: dict[str, set[str]] = {}
    for resource in api.app.router.resources():
        if resource.canonical.startswith("/docs"):
            continue  # the interactive docs (HTML, tests/api/test_docs.py) are no API operations
        for route in resource:
            registered.setdefault(resource.canonical, set()).add(route.method.lower())
    assert registered, "no routes registered?"
    documented = {path: set(ops) for path, ops in doc["paths"].items()}
    assert documented == registered

    schemas = doc["components"]["schemas"]
    for ref in refs_in(doc):
        assert ref.startswith("#/components/schemas/"), ref
        assert ref.rsplit("/", 1)[1] in schemas, ref

    for path, ops in doc["paths"].items():
        for method, operation in ops.items():
            if path in PUBLIC_SYSTEM_PATHS:
                assert "security" not in operation, path
                continue
            schema = success_schema(operation)
            assert schema is not None, (method, path)
            assert schema.get("$ref", "").startswith("#/components/schemas/"), (method, path)
            assert schema["$ref"].rsplit("/", 1)[1] in schemas
            assert operation["security"] == [{"bearer": []}, {"apiKey": []}], (method, path)
            assert "401" in operation["responses"], (method, path)
            for name in re.findall(r"{(\w+)}", path):
                params = operation.get("parameters", [])
                assert any(p["name"] == name and p["in"] == "path" for p in params), path
    assert set(doc["components"]["securitySchemes"]) == {"bearer", "apiKey"}


async def test_public_system_operations_document_their_response_schema(api):
    doc = await openapi(api)
    for path in sorted(PUBLIC_SYSTEM_PATHS):
        schema = success_schema(doc["paths"][path]["get"])
        assert schema is not None and "$ref" in schema, path


async def test_documented_status_matches_single_subscriber_create(api, auth):
    response = await api.post(SUBSCRIBERS, json={"telegramId": 1}, headers=auth)
    assert response.status == 201
    doc = await openapi(api)
    assert "201" in doc["paths"][SUBSCRIBERS]["post"]["responses"]
