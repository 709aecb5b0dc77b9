"""An optional field that is not nullable may be left out, but an explicit null is a 400
naming it (it used to reach a NOT NULL column and answer 500)."""

from __future__ import annotations

import pytest

from tests.api.bad_input import (
    CAMPAIGNS,
    SCHEDULES,
    SUBSCRIBERS,
    everything_still_reads,
    new_campaign,
    new_subscriber,
    refused,
    send,
)

NOT_NULL_CAMPAIGN_FIELDS = ["allowPaidBroadcast", "name", "type", "messages", "status"]


@pytest.mark.parametrize("method", ["PUT", "PATCH"])
async def test_null_for_a_campaign_field_that_cannot_be_empty_is_a_400(api, auth, method):
    cid = await new_campaign(api, auth)
    for field in NOT_NULL_CAMPAIGN_FIELDS:
        error = await refused(api, auth, method, f"{CAMPAIGNS}/{cid}", {field: None}, field)
        assert "cannot be null" in error["details"][0]["message"]
    await everything_still_reads(api, auth, f"{CAMPAIGNS}/{cid}")


async def test_every_null_of_one_body_is_reported_together(api, auth):
    cid = await new_campaign(api, auth)
    body = dict.fromkeys(NOT_NULL_CAMPAIGN_FIELDS)
    await refused(api, auth, "PATCH", f"{CAMPAIGNS}/{cid}", body, *NOT_NULL_CAMPAIGN_FIELDS)


async def test_leaving_a_field_out_keeps_it_and_null_clears_a_nullable_one(api, auth):
    cid = await new_campaign(api, auth, description="Big discounts", allowPaidBroadcast=True)
    status, answer = await send(api, auth, "PATCH", f"{CAMPAIGNS}/{cid}", {"description": None})
    assert status == 200, answer
    assert answer["data"]["description"] is None
    assert answer["data"]["allowPaidBroadcast"] is True
    assert answer["data"]["name"] == "Spring sale"


async def test_subscriber_chat_id_attributes_and_tags_cannot_be_null(api, auth):
    await new_subscriber(api, auth, 1001, chatId=-1001234, tags=["vip"])
    for field in ("chatId", "attributes", "tags"):
        await refused(api, auth, "POST", SUBSCRIBERS, {"telegramId": 1001, field: None}, field)
    bulk = {"subscribers": [{"telegramId": 1002, "chatId": None}]}
    await refused(api, auth, "POST", SUBSCRIBERS, bulk, "subscribers[0].chatId")
    status, listed = await send(api, auth, "GET", SUBSCRIBERS)
    assert status == 200
    (only,) = listed["data"]["subscribers"]
    assert (only["chatId"], only["tags"]) == (-1001234, ["vip"])


async def test_null_in_a_schedule_body_is_named(api, auth):
    cid = await new_campaign(api, auth)
    body = {"campaignId": cid, "type": "one-time", "schedule": None}
    await refused(api, auth, "POST", SCHEDULES, body, "schedule")
    await everything_still_reads(api, auth)
