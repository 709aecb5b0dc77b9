"""GET /campaigns: exact totals from campaign_counts, indexed search, sorts, the fast renderer."""

from __future__ import annotations

import orjson
import pytest
from sqlalchemy import func, select, update

from api.campaign_schemas import campaign_json, campaign_out, campaign_values
from storage.models import Campaign, CampaignCount
from storage.repositories.campaign_list import LIST_KEYS, SORTABLE

URL = "/api/v1/campaigns"


async def create(api, auth, **fields) -> str:
    body = {"name": "Campaign", "messages": [{"content": "Hello {first_name}"}], **fields}
    response = await api.post(URL, json=body, headers=auth)
    assert response.status == 201, await response.text()
    return (await response.json())["data"]["id"]


async def listing(api, auth, **params) -> dict:
    response = await api.get(URL, params={k: str(v) for k, v in params.items()}, headers=auth)
    assert response.status == 200, await response.text()
    return (await response.json())["data"]


async def total(api, auth, **params) -> int:
    return (await listing(api, auth, **params))["pagination"]["total"]


async def counts_match_rows(core) -> None:
    """campaign_counts equals a GROUP BY over campaigns (zero groups may linger)."""
    async with core.uow() as uow:
        grouped = select(Campaign.tenant_id, Campaign.status, Campaign.type, func.count())
        rows = await uow.session.execute(
            grouped.group_by(Campaign.tenant_id, Campaign.status, Campaign.type)
        )
        actual = {tuple(row[:3]): row[3] for row in rows}
        stored = await uow.session.execute(
            select(
                CampaignCount.tenant_id, CampaignCount.status, CampaignCount.type, CampaignCount.n
            )
        )
        kept = {tuple(row[:3]): row[3] for row in stored if row[3]}
    assert kept == actual


async def test_totals_stay_exact_across_the_lifecycle(api, auth, other_auth, core):
    await api.post(
        "/api/v1/subscribers", json={"telegramId": 5001, "firstName": "Ann"}, headers=auth
    )
    ids = [await create(api, auth, name=f"C{i}", type="engagement" if i % 2 else "message")
           for i in range(6)]  # fmt: skip
    await create(api, other_auth, name="Other tenant")
    assert await total(api, auth) == 6
    assert await total(api, auth, status="draft") == 6
    assert await total(api, auth, type="engagement") == 3
    for cid in ids[:3]:
        response = await api.post(f"{URL}/{cid}/execute", headers=auth)
        assert response.status == 200, await response.text()
    await api.post(f"{URL}/{ids[0]}/cancel", headers=auth)
    assert await total(api, auth, status="draft") == 3
    assert await total(api, auth, status="active") == 2
    assert await total(api, auth, status="cancelled") == 1
    assert await total(api, auth, status="active", type="engagement") == 1
    assert (await api.delete(f"{URL}/{ids[0]}", headers=auth)).status == 200
    assert (await api.delete(f"{URL}/{ids[5]}", headers=auth)).status == 200
    await api.post(f"{URL}/{ids[3]}/clone", headers=auth)
    await api.patch(f"{URL}/{ids[4]}", json={"type": "custom"}, headers=auth)
    assert await total(api, auth) == 5
    assert await total(api, auth, status="draft") == 3
    assert await total(api, auth, type="custom") == 1
    assert await total(api, other_auth) == 1
    await counts_match_rows(core)


async def test_totals_follow_writes_that_bypass_the_services(api, auth, core, tenant):
    await create(api, auth, name="Kept")
    async with core.uow() as uow:  # a bulk load or a manual fix, not through core
        await uow.session.execute(
            Campaign.__table__.insert(),
            [{"tenant_id": tenant.id, "name": f"Bulk {i}", "type": "message",
              "status": "completed", "messages": []} for i in range(4)],
        )  # fmt: skip
        await uow.session.execute(
            update(Campaign).where(Campaign.name == "Bulk 0").values(status="failed")
        )
    assert await total(api, auth) == 5
    assert await total(api, auth, status="completed") == 3
    assert await total(api, auth, status="failed") == 1
    await counts_match_rows(core)


async def test_search_is_literal_case_insensitive_and_counted_exactly(api, auth):
    names = ["Summer SALE 50%_off", "Winter sale", "Spring news", "Autumn 50%x", "Ab", "Ça va"]
    for name in names:
        await create(api, auth, name=name, description=f"About {name.lower()}")
    await create(api, auth, name="Plain", description='Quote "x" and back\\slash')

    async def found(term: str, **params) -> tuple[set[str], int]:
        data = await listing(api, auth, search=term, **params)
        return {c["name"] for c in data["campaigns"]}, data["pagination"]["total"]

    assert await found("sAlE") == ({"Summer SALE 50%_off", "Winter sale"}, 2)
    assert await found("50%_") == ({"Summer SALE 50%_off"}, 1)
    assert await found("50%") == ({"Summer SALE 50%_off", "Autumn 50%x"}, 2)
    assert await found("ab") == ({"Ab", "Autumn 50%x", "Summer SALE 50%_off", "Winter sale",
                                  "Spring news", "Ça va"}, 6)  # fmt: skip
    assert await found("b") == ({"Ab", "Autumn 50%x", "Summer SALE 50%_off", "Winter sale",
                                 "Spring news", "Ça va", "Plain"}, 7)  # fmt: skip
    assert await found('"x"') == ({"Plain"}, 1)
    assert await found("back\\slash") == ({"Plain"}, 1)
    assert await found("ça va") == ({"Ça va"}, 1)
    assert await found("nothing like it") == (set(), 0)
    assert await found("sale", status="active") == (set(), 0)
    assert await found("sale", limit=1, page=2) == ({"Summer SALE 50%_off"}, 2)
    assert await found("sale", page=5) == (set(), 2)


async def test_cached_search_totals_follow_every_change(api, auth):
    first = await create(api, auth, name="Flash one")
    await create(api, auth, name="Other")
    for _ in range(2):  # the second answer comes from the cache
        assert (await listing(api, auth, search="flash"))["pagination"]["total"] == 1
    second = await create(api, auth, name="Flash two")
    assert (await listing(api, auth, search="flash"))["pagination"]["total"] == 2
    await api.patch(f"{URL}/{first}", json={"name": "Renamed"}, headers=auth)
    assert (await listing(api, auth, search="flash"))["pagination"]["total"] == 1
    await api.patch(f"{URL}/{second}", json={"description": "no longer"}, headers=auth)
    assert (await listing(api, auth, search="longer"))["pagination"]["total"] == 1
    assert (await api.delete(f"{URL}/{second}", headers=auth)).status == 200
    data = await listing(api, auth, search="flash")
    assert data["pagination"]["total"] == 0 and data["campaigns"] == []


@pytest.mark.parametrize("field", sorted(SORTABLE))
async def test_every_sort_field_orders_the_page(api, auth, field):
    for i, budget in enumerate((30, 10, 20)):
        await create(api, auth, name=f"N{i}", budget=budget, type=("custom", "message")[i % 2],
                     startDate=f"2030-0{i + 1}-01T00:00:00Z")  # fmt: skip
    ascending = await listing(api, auth, sort=field)
    descending = await listing(api, auth, sort=f"-{field}")
    assert [c["id"] for c in ascending["campaigns"]] == [
        c["id"] for c in reversed(descending["campaigns"])
    ]
    assert ascending["pagination"]["total"] == 3


async def test_list_rows_render_exactly_like_the_response_model(api, auth, core, tenant):
    await create(
        api,
        auth,
        name="Rich",
        description="d",
        budget=12,
        startDate="2030-01-01T10:00:00.250Z",
        endDate="2030-02-01T00:00:00Z",
        goals={"revenue": 5},
        targetAudience={"segments": [], "filters": {"languageCode": "en"}},
        messages=[
            {"content": "a", "variations": [{"content": "b", "weight": 50}]},
            {"content": "c"},
        ],
    )
    await create(api, auth, name="Bare")
    data = await listing(api, auth)
    async with core.uow() as uow:
        campaigns = (await uow.session.scalars(select(Campaign).order_by(Campaign.id))).all()
        for campaign in campaigns:
            row = {key: getattr(campaign, key) for key in LIST_KEYS}
            model = campaign_out(campaign).model_dump(mode="json", by_alias=True)
            assert orjson.dumps(campaign_json(campaign_values(row))) == orjson.dumps(model)
    listed = {c["id"]: c for c in data["campaigns"]}
    for campaign in campaigns:
        model = campaign_out(campaign).model_dump(mode="json", by_alias=True)
        assert orjson.dumps(listed[model["id"]]) == orjson.dumps(model)
