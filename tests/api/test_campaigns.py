"""Campaigns API: CRUD, listing, validation (campaigns-api.md and tenant-campaigns-api.md)."""

from __future__ import annotations

import pytest

SPEC_CREATE = {
    "name": "Black Friday Campaign",
    "description": "Massive discounts for Black Friday",
    "type": "message",
    "goals": {"targetAudience": 20000, "conversionRate": 10, "revenue": 100000},
    "targetAudience": {"segments": [], "filters": {"location": ["US"], "purchaseHistory": True}},
    "messages": [
        {
            "templateId": "tmpl456",
            "personalization": {"enabled": True, "fields": ["firstName", "lastPurchase"]},
        }
    ],
    "budget": 10000,
    "startDate": "2024-11-24T00:00:00Z",
    "endDate": "2024-11-30T23:59:59Z",
}


async def create(api, auth, **fields) -> str:
    body = {"name": "Campaign", "messages": [{"content": "Hello {first_name}"}], **fields}
    response = await api.post("/api/v1/campaigns", json=body, headers=auth)
    assert response.status == 201, await response.text()
    return (await response.json())["data"]["id"]


async def test_create_with_the_spec_example(api, auth):
    response = await api.post("/api/v1/campaigns", json=SPEC_CREATE, headers=auth)
    assert response.status == 201
    body = await response.json()
    assert body["success"] is True
    data = body["data"]
    assert data["name"] == "Black Friday Campaign"
    assert data["status"] == "draft"
    assert data["message"] == "Campaign created successfully"
    got = await (await api.get(f"/api/v1/campaigns/{data['id']}", headers=auth)).json()
    campaign = got["data"]
    assert campaign["goals"] == {
        "targetAudience": 20000,
        "conversionRate": 10.0,
        "revenue": 100000.0,
    }
    assert campaign["targetAudience"]["filters"] == {"location": ["US"], "purchaseHistory": True}
    assert campaign["targetAudience"]["totalCount"] == 0
    assert campaign["startDate"] == "2024-11-24T00:00:00Z"
    assert campaign["messages"][0]["id"] == "msg1"
    assert campaign["createdBy"].startswith("api:key_")
    assert "execute" in campaign["allowedActions"] and "pause" not in campaign["allowedActions"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": "x", "type": "spam"}, "type"),
        ({"name": "x", "startDate": "2024-11-24T00:00:00"}, "startDate"),
        ({"name": "x", "budget": -1}, "budget"),
        ({"name": "x", "unknownField": 1}, "unknownField"),
        ({"name": "x", "timezone": "Mars/Olympus"}, "timezone"),
        (
            {
                "name": "x",
                "messages": [{"content": "a", "variations": [{"content": "b", "weight": 101}]}],
            },
            "messages[0].variations[0].weight",
        ),
    ],
)
async def test_invalid_fields_are_named(api, auth, body, field):
    response = await api.post("/api/v1/campaigns", json=body, headers=auth)
    assert response.status == 400
    error = (await response.json())["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert field in {d["field"] for d in error["details"]}, error


async def test_naive_date_message_says_what_to_do(api, auth):
    body = {"name": "x", "startDate": "2024-11-24T00:00:00"}
    error = (await (await api.post("/api/v1/campaigns", json=body, headers=auth)).json())["error"]
    assert "time zone" in error["details"][0]["message"]


async def test_end_before_start_is_refused(api, auth):
    body = {"name": "x", "startDate": "2024-11-24T00:00:00Z", "endDate": "2024-11-20T00:00:00Z"}
    response = await api.post("/api/v1/campaigns", json=body, headers=auth)
    assert response.status == 400


async def test_malformed_json(api, auth):
    response = await api.post(
        "/api/v1/campaigns", data=b"{not json", headers={**auth, "Content-Type": "application/json"}
    )
    assert response.status == 400
    assert (await response.json())["error"]["code"] == "MALFORMED_JSON"


async def test_body_must_be_an_object(api, auth):
    response = await api.post("/api/v1/campaigns", json=[1, 2], headers=auth)
    assert response.status == 400


async def test_list_pages_sorts_filters_and_searches(api, auth):
    names = ["Summer Sale", "Winter Sale", "Spring news", "Autumn 50%_off"]
    ids = [
        await create(api, auth, name=n, type="message" if i % 2 else "engagement")
        for i, n in enumerate(names)
    ]
    url = "/api/v1/campaigns"
    body = await (await api.get(url, params={"limit": 2}, headers=auth)).json()
    assert body["data"]["pagination"] == {"page": 1, "limit": 2, "total": 4, "pages": 2}
    assert [c["id"] for c in body["data"]["campaigns"]] == [ids[3], ids[2]]  # -createdAt default
    page2 = await (await api.get(url, params={"limit": 2, "page": 2}, headers=auth)).json()
    assert [c["id"] for c in page2["data"]["campaigns"]] == [ids[1], ids[0]]
    by_name = await (await api.get(url, params={"sort": "name"}, headers=auth)).json()
    assert [c["name"] for c in by_name["data"]["campaigns"]] == sorted(names)
    desc = await (await api.get(url, params={"sort": "-name"}, headers=auth)).json()
    assert [c["name"] for c in desc["data"]["campaigns"]] == sorted(names, reverse=True)
    sale = await (await api.get(url, params={"search": "sALe"}, headers=auth)).json()
    assert {c["name"] for c in sale["data"]["campaigns"]} == {"Summer Sale", "Winter Sale"}
    literal = await (await api.get(url, params={"search": "50%_"}, headers=auth)).json()
    assert [c["name"] for c in literal["data"]["campaigns"]] == ["Autumn 50%_off"]
    typed = await (await api.get(url, params={"type": "engagement"}, headers=auth)).json()
    assert {c["name"] for c in typed["data"]["campaigns"]} == {"Summer Sale", "Spring news"}
    drafts = await (await api.get(url, params={"status": "draft"}, headers=auth)).json()
    assert drafts["data"]["pagination"]["total"] == 4
    active = await (await api.get(url, params={"status": "active"}, headers=auth)).json()
    assert active["data"]["campaigns"] == []
    beyond = await (await api.get(url, params={"page": 9}, headers=auth)).json()
    assert beyond["data"]["campaigns"] == [] and beyond["data"]["pagination"]["total"] == 4


@pytest.mark.parametrize(
    "params",
    [
        {"limit": "101"},
        {"limit": "0"},
        {"page": "0"},
        {"status": "sleeping"},
        {"sort": "password"},
        {"page": "x"},
    ],
)
async def test_bad_list_parameters(api, auth, params):
    response = await api.get("/api/v1/campaigns", params=params, headers=auth)
    assert response.status == 400
    assert (await response.json())["error"]["details"]


async def test_get_unknown_campaign(api, auth):
    for bad in ("camp_999999", "nope", "camp_", "camp_1x"):
        response = await api.get(f"/api/v1/campaigns/{bad}", headers=auth)
        assert response.status == 404
        assert (await response.json())["error"]["code"] == "CAMPAIGN_NOT_FOUND"


async def test_put_updates_given_fields_only(api, auth):
    cid = await create(api, auth, description="old", budget=5)
    body = {
        "name": "Updated Campaign Name",
        "goals": {"targetAudience": 25000, "conversionRate": 12},
    }
    response = await api.put(f"/api/v1/campaigns/{cid}", json=body, headers=auth)
    assert response.status == 200
    data = (await response.json())["data"]
    assert data["name"] == "Updated Campaign Name"
    assert data["description"] == "old" and data["budget"] == 5
    assert data["goals"] == {"targetAudience": 25000, "conversionRate": 12.0}


async def test_patch_content_only_while_draft(api, auth):
    cid = await create(api, auth)
    response = await api.patch(
        f"/api/v1/campaigns/{cid}", json={"messages": [{"content": "New"}]}, headers=auth
    )
    assert response.status == 200
    await api.post(
        f"/api/v1/campaigns/{cid}/schedule",
        json={"scheduledAt": "2099-01-01T09:00:00Z"},
        headers=auth,
    )
    response = await api.patch(
        f"/api/v1/campaigns/{cid}", json={"messages": [{"content": "Newer"}]}, headers=auth
    )
    assert response.status == 409
    error = (await response.json())["error"]
    assert error["code"] == "INVALID_STATUS_TRANSITION"
    assert "scheduled" in error["message"]
    ok = await api.patch(f"/api/v1/campaigns/{cid}", json={"description": "fine"}, headers=auth)
    assert ok.status == 200


async def test_delete_only_draft_or_cancelled(api, auth):
    cid = await create(api, auth)
    response = await api.delete(f"/api/v1/campaigns/{cid}", headers=auth)
    assert response.status == 200
    assert (await response.json())["data"]["message"] == "Campaign deleted successfully"
    assert (await api.get(f"/api/v1/campaigns/{cid}", headers=auth)).status == 404
    cid = await create(api, auth)
    await api.post(f"/api/v1/campaigns/{cid}/execute", headers=auth)
    refused = await api.delete(f"/api/v1/campaigns/{cid}", headers=auth)
    assert refused.status == 409
    details = (await refused.json())["error"]["details"][0]
    assert details["currentStatus"] == "active" and "pause" in details["allowedActions"]
    await api.post(f"/api/v1/campaigns/{cid}/cancel", headers=auth)
    assert (await api.delete(f"/api/v1/campaigns/{cid}", headers=auth)).status == 200


async def test_clone(api, auth):
    cid = await create(api, auth, name="Summer Sale Campaign", description="d")
    response = await api.post(f"/api/v1/campaigns/{cid}/clone", headers=auth)
    assert response.status == 201
    data = (await response.json())["data"]
    assert data["name"] == "Summer Sale Campaign (Copy)" and data["status"] == "draft"
    assert data["message"] == "Campaign cloned successfully"
    named = await api.post(
        f"/api/v1/campaigns/{cid}/clone", json={"name": "Cloned Campaign Name"}, headers=auth
    )
    copy = (await named.json())["data"]
    got = (await (await api.get(f"/api/v1/campaigns/{copy['id']}", headers=auth)).json())["data"]
    assert got["name"] == "Cloned Campaign Name" and got["description"] == "d"
    assert got["messages"][0]["content"] == "Hello {first_name}"
