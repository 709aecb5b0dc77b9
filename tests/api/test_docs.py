"""Interactive API docs at /docs: public, offline (bundled Swagger UI), reading this API's document."""

from __future__ import annotations

import re

import schemathesis
from swagger_ui_bundle import swagger_ui_path

ASSET = re.compile(r'(?:src|href)="([^"]+)"')


async def test_docs_page_is_public_html_that_loads_only_local_assets(api):
    response = await api.get("/docs")  # no key
    assert response.status == 200
    assert response.content_type == "text/html"
    page = await response.text()
    assets = ASSET.findall(page)
    assert "/docs/static/swagger-ui-bundle.js" in assets
    assert "/docs/static/swagger-ui.css" in assets
    assert all(asset.startswith("/docs/static/") for asset in assets), assets
    assert "http://" not in page and "https://" not in page  # no CDN: the machine may be offline


async def test_every_asset_the_page_names_is_served_from_the_bundle(api):
    page = await (await api.get("/docs")).text()
    for asset in ASSET.findall(page):
        response = await api.get(asset)
        assert response.status == 200, asset
        bundled = (swagger_ui_path / asset.removeprefix("/docs/static/")).read_bytes()
        assert await response.read() == bundled, asset
    script = await api.get("/docs/static/swagger-ui-bundle.js")
    assert "javascript" in script.content_type


async def test_the_page_reads_this_apis_document(api):
    page = await (await api.get("/docs")).text()
    spec_url = re.search(r'url: "([^"]+)"', page).group(1)
    response = await api.get(spec_url)  # no key either
    assert response.status == 200
    shown = await response.json()
    canonical = await (await api.get("/api/v1/openapi.json")).json()
    # Swagger UI 4 reads OpenAPI 3.0 only: the page gets the same API in 3.0 terms.
    assert shown["openapi"].startswith("3.0")
    assert shown["paths"].keys() == canonical["paths"].keys()
    for path, operations in canonical["paths"].items():
        assert shown["paths"][path].keys() == operations.keys(), path
    assert shown["components"]["securitySchemes"] == canonical["components"]["securitySchemes"]
    assert '"type": "null"' not in str(shown) and "'const'" not in str(shown)


async def test_nullable_fields_become_3_0_nullable(api):
    shown = await (await api.get("/docs/openapi.json")).json()
    description = shown["components"]["schemas"]["CampaignOut"]["properties"]["description"]
    assert description == {"type": "string", "nullable": True, "title": "Description"}


async def test_unknown_asset_is_a_404_envelope(api):
    response = await api.get("/docs/static/no-such-file.js")
    assert response.status == 404
    body = await response.json()
    assert body["success"] is False and body["error"]["code"] == "NOT_FOUND"


async def test_the_3_0_rendering_is_valid_openapi_3_0(api):
    shown = await (await api.get("/docs/openapi.json")).json()
    schemathesis.openapi.from_dict(shown).validate()  # raises on any meta-schema violation
