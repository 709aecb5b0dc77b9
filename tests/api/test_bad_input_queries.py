"""Fuzz findings F2, F3, F7, F10, F11, F12: empty query values are refused, enums ignore case,
integral floats are integers, edge control characters are refused, and the OpenAPI document
says the cross-field rules the validators enforce."""

from __future__ import annotations

import pytest

from api.app import ROUTERS, VERSION
from api.openapi import build_openapi
from tests.api.bad_input import CAMPAIGNS, SCHEDULES, new_campaign, refused, send


@pytest.mark.parametrize(
    "query, field",
    [
        ("/deliveries?status=", "status"),
        ("/statistics?metrics=&period=", None),
        ("/interactions?type=", "type"),
    ],
)
async def test_an_empty_query_value_is_a_400_naming_the_parameter(api, auth, query, field):
    cid = await new_campaign(api, auth)
    error = await refused(api, auth, "GET", f"{CAMPAIGNS}/{cid}{query}", None)
    named = {d["field"] for d in error["details"]}
    assert named == ({field} if field else {"metrics", "period"})


async def test_empty_list_filters_are_refused_everywhere(api, auth):
    for path in (f"{CAMPAIGNS}?search=", f"{SCHEDULES}?status=", "/api/v1/subscribers?tag="):
        status, answer = await send(api, auth, "GET", path)
        assert status == 400, (path, answer)


async def test_statistics_period_and_metrics_ignore_case(api, auth):
    cid = await new_campaign(api, auth)
    status, answer = await send(
        api, auth, "GET", f"{CAMPAIGNS}/{cid}/statistics?period=ALL&metrics=ALL"
    )
    assert status == 200, answer
    assert answer["data"]["period"] == "all"
    status, answer = await send(api, auth, "GET", f"{SCHEDULES}/statistics/7D")
    assert status == 200, answer


async def test_an_integral_float_is_an_integer_but_bools_and_fractions_are_not(api, auth):
    cid = await new_campaign(api, auth)
    path = f"{CAMPAIGNS}/{cid}"
    status, answer = await send(api, auth, "PATCH", path, {"goals": {"targetAudience": 96.0}})
    assert status == 200, answer
    assert answer["data"]["goals"]["targetAudience"] == 96
    await refused(
        api, auth, "PATCH", path, {"goals": {"targetAudience": 9.5}}, "goals.targetAudience"
    )
    await refused(
        api, auth, "PATCH", path, {"goals": {"targetAudience": True}}, "goals.targetAudience"
    )


@pytest.mark.parametrize("name", ["\fSale", "Sale\v", "\x1cSale", "Sale\x1f", "Sale\n"])
async def test_control_characters_at_the_ends_of_a_name_are_refused_not_stripped(api, auth, name):
    cid = await new_campaign(api, auth)
    await refused(api, auth, "POST", f"{CAMPAIGNS}/{cid}/clone", {"name": name}, "name")


async def test_spaces_around_a_name_are_still_trimmed(api, auth):
    cid = await new_campaign(api, auth)
    status, answer = await send(api, auth, "POST", f"{CAMPAIGNS}/{cid}/clone", {"name": "  Copy  "})
    assert status == 201, answer
    assert answer["data"]["name"] == "Copy"


async def test_a_schedule_for_a_missing_campaign_is_a_400_naming_campaign_id(api, auth):
    body = {"campaignId": "camp_999999", "type": "one-time", "schedule": {}}
    error = await refused(api, auth, "POST", SCHEDULES, body)
    assert error["code"] in ("CAMPAIGN_NOT_FOUND", "VALIDATION_ERROR")
    assert "campaignId" in {d["field"] for d in error["details"]}


def _schemas() -> dict:
    document = build_openapi([spec for router in ROUTERS for spec in router.specs], VERSION)
    return document["components"]["schemas"]


def test_the_document_says_the_cross_field_rules():
    schemas = _schemas()
    assert "anyOf" in schemas["SegmentInput"]
    assert "anyOf" in schemas["TemplateInput"]
    assert "oneOf" in schemas["EventIn"]
    zone = schemas["CampaignCreate"]["properties"]["timezone"]["anyOf"][0]
    assert "Europe/London" in zone["enum"] and "" not in zone["enum"]


def test_bounds_after_a_validator_use_json_schema_names():
    text = repr(_schemas())
    for leaked in ("'gt':", "'ge':", "'lt':", "'le':"):
        assert leaked not in text
