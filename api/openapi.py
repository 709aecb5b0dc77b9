"""OpenAPI 3.1 document generated from the registered routes and their pydantic models."""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web
from openapi_pydantic import (
    Info,
    MediaType,
    OpenAPI,
    Operation,
    Parameter,
    PathItem,
    RequestBody,
    Response,
)
from openapi_pydantic.util import PydanticSchema, construct_open_api_with_schema_class
from pydantic import BaseModel

from api.registry import RouteSpec
from api.schemas import ErrorEnvelope

OPENAPI = web.AppKey("openapi", dict)
ERROR_TEXT = {
    400: "Malformed JSON or invalid fields (each named in error.details)",
    401: "Missing or invalid API key",
    404: "Not found for this tenant",
    409: "Not allowed in the current status (error.details lists allowed actions)",
    413: "Body too large",
}
SECURITY_SCHEMES = {
    "bearer": {"type": "http", "scheme": "bearer"},
    "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
}


def _json(model: type[BaseModel]) -> dict[str, MediaType]:
    return {"application/json": MediaType(media_type_schema=PydanticSchema(schema_class=model))}


def _query_parameters(model: type[BaseModel]) -> list[Parameter]:
    schema = model.model_json_schema()
    required = set(schema.get("required", []))
    return [
        Parameter(
            name=name,
            param_in="query",
            required=name in required,
            param_schema={k: v for k, v in prop.items() if k != "title"},
        )
        for name, prop in schema.get("properties", {}).items()
    ]


def _operation(spec: RouteSpec) -> Operation:
    parameters = [
        Parameter(name=name, param_in="path", required=True, param_schema={"type": "string"})
        for name in re.findall(r"{(\w+)}", spec.path)
    ]
    if spec.query is not None:
        parameters += _query_parameters(spec.query)
    responses: dict[str, Response] = {
        str(status): Response(
            description=spec.summary,
            content=_json(spec.response) if spec.response is not None else None,
        )
        for status in (spec.status, *spec.also)
    }
    for status in spec.errors:
        responses[str(status)] = Response(
            description=ERROR_TEXT[status], content=_json(ErrorEnvelope)
        )
    return Operation(
        summary=spec.summary,
        description=(spec.handler.__doc__ or "").strip() or None,
        operationId=f"{spec.method.lower()}_{spec.handler.__name__}",
        tags=[spec.tag],
        parameters=parameters or None,
        requestBody=(
            RequestBody(content=_json(spec.body), required=not spec.body_optional)
            if spec.body is not None
            else None
        ),
        responses=responses,
        security=None if spec.public else [{"bearer": []}, {"apiKey": []}],
    )


def build_openapi(specs: list[RouteSpec], version: str) -> dict[str, Any]:
    """The whole document as a JSON-ready dict."""
    paths: dict[str, dict[str, Operation]] = {}
    for spec in specs:
        paths.setdefault(spec.path, {})[spec.method.lower()] = _operation(spec)
    document = OpenAPI(
        info=Info(title="tg-campaigns API", version=version),
        paths={path: PathItem(**ops) for path, ops in paths.items()},
    )
    document = construct_open_api_with_schema_class(document)
    data = document.model_dump(mode="json", by_alias=True, exclude_none=True)
    data.setdefault("components", {})["securitySchemes"] = SECURITY_SCHEMES
    return data
