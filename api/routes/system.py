"""Health, the generated OpenAPI document and the interactive docs at /docs."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web
from pydantic import BaseModel, ConfigDict
from swagger_ui_bundle import swagger_ui_path

from api.envelope import json_response
from api.keys import CORE
from api.openapi import OPENAPI
from api.openapi_legacy import as_openapi_30
from api.registry import ApiRouter
from storage.repositories.health import database_ok

router = ApiRouter(tag="System")
DOCS = "/docs"
DOCS_STATIC = "/docs/static"
DOCS_SPEC = "/docs/openapi.json"
DOCS_DOCUMENT = web.AppKey("docs_document", dict)
# A fixed map of names to files: nothing outside the bundle can be reached by a crafted name.
ASSETS = {path.name: path for path in Path(str(swagger_ui_path)).iterdir() if path.is_file()}
DOCS_PAGE = f"""<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>tg-campaigns API</title>
  <link rel="stylesheet" href="{DOCS_STATIC}/swagger-ui.css">
  <link rel="icon" type="image/png" href="{DOCS_STATIC}/favicon-32x32.png" sizes="32x32">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="{DOCS_STATIC}/swagger-ui-bundle.js"></script>
  <script src="{DOCS_STATIC}/swagger-ui-standalone-preset.js"></script>
  <script>
    window.onload = () => {{
      window.ui = SwaggerUIBundle({{
        url: "{DOCS_SPEC}",
        dom_id: "#swagger-ui",
        deepLinking: true,
        presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
        layout: "StandaloneLayout",
      }});
    }};
  </script>
</body>
</html>
"""


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


async def docs_page(request: web.Request) -> web.Response:
    """Swagger UI over this API, from the bundled assets (works offline)."""
    return web.Response(text=DOCS_PAGE, content_type="text/html")


async def docs_spec(request: web.Request) -> web.Response:
    """The OpenAPI document in 3.0 terms: the bundled Swagger UI 4 renders no 3.1."""
    return json_response(request.app[DOCS_DOCUMENT])


async def docs_asset(request: web.Request) -> web.FileResponse:
    """One file of the Swagger UI bundle; only the bundle's own file names are served."""
    path = ASSETS.get(request.match_info["name"])
    if path is None:
        raise web.HTTPNotFound()
    return web.FileResponse(path, headers={"Cache-Control": "public, max-age=86400"})


def mount_docs(app: web.Application) -> None:
    """Add /docs, its 3.0 document and the Swagger UI assets (call after OPENAPI is set)."""
    app[DOCS_DOCUMENT] = as_openapi_30(app[OPENAPI])
    app.router.add_get(DOCS, docs_page)
    app.router.add_get(DOCS_SPEC, docs_spec)
    app.router.add_get(DOCS_STATIC + "/{name}", docs_asset)
