"""The service answers health checks and refuses anonymous API calls."""


async def test_healthz(api):
    response = await api.get("/healthz")
    assert response.status == 200
    assert (await response.json()) == {"status": "ok", "database": True}


async def test_api_requires_key(api):
    response = await api.get("/api/v1/campaigns")
    assert response.status == 401
    body = await response.json()
    assert body["success"] is False and body["error"]["code"] == "UNAUTHORIZED"
