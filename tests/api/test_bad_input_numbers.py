"""Integers the databases or orjson cannot hold are refused at the edge, query integers are
plain ASCII digits, and ids in paths never alias another id."""

from __future__ import annotations

import pytest

from core.ids import parse_id, try_parse_id
from tests.api.bad_input import (
    CAMPAIGNS,
    EVENTS,
    SCHEDULES,
    SEGMENTS,
    SUBSCRIBERS,
    everything_still_reads,
    new_campaign,
    new_subscriber,
    refused,
    send,
)

HUGE = 2**70


async def test_integers_beyond_64_bits_anywhere_in_a_body_are_a_400(api, auth):
    cid = await new_campaign(api, auth)
    cases = [
        (
            "PATCH",
            f"{CAMPAIGNS}/{cid}",
            {"goals": {"targetAudience": HUGE}},
            "goals.targetAudience",
        ),
        (
            "PATCH",
            f"{CAMPAIGNS}/{cid}",
            {"targetAudience": {"filters": {"age": HUGE}}},
            "targetAudience.filters.age",
        ),
        ("POST", SUBSCRIBERS, {"telegramId": 5, "chatId": HUGE}, "chatId"),
        ("POST", SUBSCRIBERS, {"telegramId": HUGE}, "telegramId"),
        (
            "POST",
            SUBSCRIBERS,
            {"telegramId": 5, "attributes": {"points": -HUGE}},
            "attributes.points",
        ),
        ("POST", EVENTS, {"event": "purchase", "telegramId": HUGE}, "telegramId"),
        (
            "POST",
            SEGMENTS,
            {"name": "s", "rules": {"all": [{"field": "telegramId", "op": "gt", "value": HUGE}]}},
            "rules.all[0].value",
        ),
        (
            "POST",
            SCHEDULES,
            {
                "campaignId": cid,
                "type": "recurring",
                "schedule": {
                    "recurring": {"pattern": "daily", "timeOfDay": "09:00", "maxOccurrences": HUGE}
                },
            },
            "schedule.recurring.maxOccurrences",
        ),
    ]
    for method, path, body, field in cases:
        error = await refused(api, auth, method, path, body, field)
        assert "64" in error["details"][0]["message"], error
    await everything_still_reads(api, auth, f"{CAMPAIGNS}/{cid}")


async def test_schedule_numbers_that_would_overflow_time_arithmetic_are_refused(api, auth):
    cid = await new_campaign(api, auth)
    custom = {"pattern": "custom", "frequency": {"interval": 10**15, "unit": "days"}}
    body = {"campaignId": cid, "type": "recurring", "schedule": {"recurring": custom}}
    error = await refused(api, auth, "POST", SCHEDULES, body, "schedule.recurring.frequency")
    assert error["code"] == "INVALID_SCHEDULE"
    trigger = {"conditions": {"event": "signup"}, "delay": {"value": 525_600, "unit": "days"}}
    body = {"campaignId": cid, "type": "trigger-based", "schedule": {"triggers": [trigger]}}
    error = await refused(api, auth, "POST", SCHEDULES, body)
    assert "365 days" in error["message"]


@pytest.mark.parametrize(
    "query",
    [
        "page=99999999999999999999999",
        "page=0",
        "page=-1",
        "limit=1.5",
        "limit=1e3",
        "limit=%2B5",
        "limit=%205",
        "limit=%EF%BC%95",  # fullwidth 5
        "limit=%D9%A5",  # Arabic-Indic 5
        "limit=1_0",
    ],
)
async def test_query_integers_are_ascii_digits_in_range_on_every_list(api, auth, query):
    for path in (CAMPAIGNS, SUBSCRIBERS, SEGMENTS, "/api/v1/templates", SCHEDULES):
        error = await refused(api, auth, "GET", f"{path}?{query}", None, query.split("=")[0])
        assert error["code"] == "VALIDATION_ERROR"


async def test_skip_and_take_are_bounded(api, auth):
    cid = await new_campaign(api, auth)
    await refused(api, auth, "GET", f"{SCHEDULES}?skip=99999999999999999999", None, "skip")
    interactions = f"{CAMPAIGNS}/{cid}/interactions"
    await refused(api, auth, "GET", f"{interactions}?skip=99999999999999999999", None, "skip")
    await refused(api, auth, "GET", f"{interactions}?take=101", None, "take")


async def test_scheduled_campaigns_page_like_every_other_list(api, auth):
    cid = await new_campaign(api, auth)
    body = {"campaignId": cid, "type": "recurring",
            "schedule": {"recurring": {"pattern": "daily", "timeOfDay": "09:00"}}}  # fmt: skip
    status, _ = await send(api, auth, "POST", SCHEDULES, body)
    assert status == 201
    status, first = await send(api, auth, "GET", f"{SCHEDULES}?page=1&limit=1")
    assert status == 200 and len(first["data"]) == 1
    status, second = await send(api, auth, "GET", f"{SCHEDULES}?page=2&limit=1")
    assert status == 200 and second["data"] == [] and second["meta"]["skip"] == 1


@pytest.mark.parametrize(
    "raw", ["camp_²", "camp_٣", "camp_１", "camp_0", "camp_", "camp_1 ", "camp_" + "9" * 19]
)
def test_ids_accept_ascii_digits_only(raw):
    assert try_parse_id("campaign", raw) is None
    assert parse_id("campaign", "camp_42") == 42


async def test_unicode_digit_ids_in_paths_are_404_and_never_alias(api, auth):
    cid = await new_campaign(api, auth)
    assert cid == "camp_1"
    for raw in ("camp_¹", "camp_١", "camp_𝟏"):
        status, answer = await send(api, auth, "GET", f"{CAMPAIGNS}/{raw}")
        assert status == 404, raw
        assert answer["error"]["code"] == "CAMPAIGN_NOT_FOUND"
    sub = await new_subscriber(api, auth)
    status, _ = await send(api, auth, "GET", f"{SUBSCRIBERS}/{sub.replace('1', '١')}")
    assert status == 404
