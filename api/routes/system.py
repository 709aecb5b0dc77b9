"""Health and the generated OpenAPI document."""

from __future__ import annotations

from aiohttp import web
from pydantic import BaseModel, ConfigDict

from api.envelope import json_response
from api.keys import CORE
from api.openapi import OPENAPI
from api.registry import ApiRouter
from storage.repositories.health import database_ok

router = ApiRouter(tag="System")


class Health(BaseModel):
    """Answer of /healthz."""

    status: str
    database: bool


class OpenApiDocument(BaseModel):
    """An OpenAPI 3.1 document."""

    model_config = ConfigDict(extra="allow")
    openapi: str


@router.route(
    "GET",
    "/healthz",
    summary="Liveness and database reachability",
    public=True,
    response=Health,
    also=(503,),
)
async def healthz(request: web.Request) -> web.Response:
    """200 when the database answers, 503 otherwise."""
    healthy = await database_ok(request.app[CORE].session_factory)
    return json_response(
        {"status": "ok" if healthy else "degraded", "database": healthy}, 200 if healthy else 503
    )


@router.route(
    "GET",
    "/api/v1/openapi.json",
    summary="This API's OpenAPI 3.1 document",
    public=True,
    response=OpenApiDocument,
)
async def openapi(request: web.Request) -> web.Response:
    """The document generated from the routes' pydantic models."""
    return json_response(request.app[OPENAPI])
