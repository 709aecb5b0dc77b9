"""The OpenAPI document covers the v2 routes: their own tag, Go's field names, their error."""

from __future__ import annotations

V2_PATHS = {
    "/v2/campaign/create": "post",
    "/v2/campaign/delete": "delete",
    "/v2/campaign/getAll": "get",
    "/v2/campaign/getCampMsgs": "get",
    "/v2/campaign/resendMsg": "post",
    "/v2/campaign/update": "put",
}


async def test_every_v2_route_is_documented_under_its_own_tag(api):
    document = await (await api.get("/api/v1/openapi.json")).json()
    for path, method in V2_PATHS.items():
        operation = document["paths"][path][method]
        assert operation["tags"] == ["v2 Campaigns"], path
        for status in ("400", "401"):
            error = operation["responses"][status]["content"]["application/json"]["schema"]
            assert error == {"$ref": "#/components/schemas/V2ErrorResponse"}, (path, status)
    assert "v2 Campaigns" in [tag["name"] for tag in document["tags"]]
    schemas = document["components"]["schemas"]
    assert list(schemas["V2ErrorResponse"]["properties"]) == ["error"]
    assert {"ID", "Name", "TemplateName", "SentCount", "Clients", "TempMsgID", "SocketKey"} <= set(
        schemas["V2CampaignResponse"]["properties"]
    )
    assert set(schemas["V2CampaignClient"]["properties"]) == {"AccountID", "Params"}
    parameters = document["paths"]["/v2/campaign/getCampMsgs"]["get"]["parameters"]
    assert {p["name"] for p in parameters} == {"campaignID", "resultSize"}
