"""Consistency of the whole API: strict JSON types, every bad field reported at once, one
not-found rule, statuses and types in any case, both spellings of personalization names."""

from __future__ import annotations

import pytest

from core.templating import render, values_for
from tests.api.bad_input import (
    CAMPAIGNS,
    SCHEDULES,
    SEGMENTS,
    SUBSCRIBERS,
    TEMPLATES,
    new_campaign,
    new_subscriber,
    refused,
    send,
)


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("execute", {"testMode": "yes"}, "testMode"),
        ("execute", {"targetPercentage": 1.5}, "targetPercentage"),
        ("execute", {"targetPercentage": "50"}, "targetPercentage"),
        (None, {"allowPaidBroadcast": 1}, "allowPaidBroadcast"),
        (None, {"messages": [{"content": "a", "variations": [{"content": "b", "weight": "10"}]}]},
         "messages[0].variations[0].weight"),
        (None, {"budget": "100"}, "budget"),
    ],
)  # fmt: skip
async def test_json_bodies_are_strictly_typed(api, auth, path, body, field):
    cid = await new_campaign(api, auth)
    url = f"{CAMPAIGNS}/{cid}/{path}" if path else f"{CAMPAIGNS}/{cid}"
    await refused(api, auth, "POST" if path else "PATCH", url, body, field)


async def test_subscriber_ids_in_bodies_are_strict_too(api, auth):
    await refused(api, auth, "POST", SUBSCRIBERS, {"telegramId": "5"}, "telegramId")
    await refused(api, auth, "POST", SUBSCRIBERS, {"telegramId": 5, "chatId": False}, "chatId")


async def test_every_bad_field_of_one_request_is_reported_together(api, auth):
    cid = await new_campaign(api, auth)
    body = {
        "name": "",
        "timezone": "Mars/Olympus",
        "startDate": "9999-12-31T23:00:00-05:00",
        "messages": [{"content": "Hi {nickname}", "variations": [{"weight": 60}, {"weight": 60}]}],
    }
    await refused(api, auth, "PATCH", f"{CAMPAIGNS}/{cid}", body,
                  "name", "timezone", "startDate", "messages[0].content", "messages[0].variations")  # fmt: skip


async def test_a_schedule_reports_schedule_and_reference_problems_together(api, auth):
    cid = await new_campaign(api, auth)
    body = {
        "campaignId": cid, "type": "recurring",
        "schedule": {"recurring": {"pattern": "daily", "timeOfDay": "25:00"}},
        "messageConfig": {"templateId": "tmpl_999"},
        "notifications": {"onComplete": {"channels": ["email"]}},
    }  # fmt: skip
    await refused(api, auth, "POST", SCHEDULES, body, "schedule.recurring.timeOfDay",
                  "messageConfig.templateId", "notifications.onComplete.channels")  # fmt: skip


async def test_a_static_segment_naming_unknown_or_foreign_subscribers_is_a_400(
    api, auth, other_auth
):
    mine = await new_subscriber(api, auth, 1)
    foreign = await new_subscriber(api, other_auth, 2)
    body = {"name": "picked", "members": [mine, foreign, "sub_999999"]}
    error = await refused(api, auth, "POST", SEGMENTS, body, "members[1]", "members[2]")
    assert error["code"] == "SUBSCRIBER_NOT_FOUND"
    messages = {d["field"]: d["message"] for d in error["details"]}
    # Another tenant's subscriber reads exactly like one that does not exist.
    assert messages == {"members[1]": f"unknown subscriber '{foreign}'",
                        "members[2]": "unknown subscriber 'sub_999999'"}  # fmt: skip
    status, listed = await send(api, auth, "GET", SEGMENTS)
    assert (status, listed["data"]["pagination"]["total"]) == (200, 0)


async def test_not_found_rule_path_is_404_body_is_400_naming_the_field(api, auth):
    cid = await new_campaign(api, auth)
    for path, code in [(f"{CAMPAIGNS}/camp_999", "CAMPAIGN_NOT_FOUND"),
                       (f"{SEGMENTS}/seg_999", "SEGMENT_NOT_FOUND"),
                       (f"{SUBSCRIBERS}/sub_999", "SUBSCRIBER_NOT_FOUND"),
                       (f"{TEMPLATES}/tmpl_999", "TEMPLATE_NOT_FOUND"),
                       (f"{SCHEDULES}/sched_999", "SCHEDULED_CAMPAIGN_NOT_FOUND")]:  # fmt: skip
        status, answer = await send(api, auth, "GET", path)
        assert (status, answer["error"]["code"]) == (404, code), path
    one_time = {"startDateTime": "2031-01-01T10:00:00Z"}
    cases = [
        (SCHEDULES, {"campaignId": "camp_999", "type": "one-time", "schedule": one_time},
         "CAMPAIGN_NOT_FOUND", "campaignId"),
        (SCHEDULES, {"campaignId": cid, "type": "one-time", "schedule": one_time,
                     "messageConfig": {"templateId": "tmpl_999"}},
         "TEMPLATE_NOT_FOUND", "messageConfig.templateId"),
        (CAMPAIGNS, {"name": "c", "targetAudience": {"segments": ["seg_999"]}},
         "SEGMENT_NOT_FOUND", "targetAudience.segments[0]"),
        (SEGMENTS, {"name": "s", "members": ["sub_999"]}, "SUBSCRIBER_NOT_FOUND", "members[0]"),
    ]  # fmt: skip
    for path, body, code, field in cases:
        error = await refused(api, auth, "POST", path, body, field)
        assert error["code"] == code, body


async def test_statuses_and_types_are_accepted_in_any_case_and_returned_lowercase(api, auth):
    status, created = await send(api, auth, "POST", CAMPAIGNS, {"name": "Loud", "type": "MESSAGE"})
    assert status == 201, created
    cid = created["data"]["id"]
    status, listed = await send(api, auth, "GET", f"{CAMPAIGNS}?status=DRAFT&type=Message")
    assert status == 200
    assert [(c["status"], c["type"]) for c in listed["data"]["campaigns"]] == [("draft", "message")]
    status, _ = await send(api, auth, "GET", f"{SUBSCRIBERS}?status=ACTIVE")
    assert status == 200
    status, _ = await send(api, auth, "GET", f"{SCHEDULES}?status=Active&type=RECURRING")
    assert status == 200
    # Parsed as the status "cancelled": the lifecycle, not validation, refuses it for a draft.
    status, moved = await send(api, auth, "PATCH", f"{CAMPAIGNS}/{cid}", {"status": "CANCELLED"})
    assert (status, moved["error"]["code"]) == (409, "INVALID_STATUS_TRANSITION")
    await refused(api, auth, "GET", f"{CAMPAIGNS}?status=sleeping", None, "status")


def test_templates_take_camel_case_and_snake_case_names():
    values = values_for({"first_name": "Ada", "last_name": "Lovelace", "username": "ada"})
    text = "{firstName} {last_name} ({username}) {fullName}"
    assert render(text, values, None) == "Ada Lovelace (ada) Ada Lovelace"


async def test_camel_case_variables_are_accepted_by_campaigns_and_templates(api, auth):
    status, answer = await send(
        api, auth, "POST", TEMPLATES, {"name": "t", "content": "Hi {firstName} {lastName}"}
    )
    assert status == 201, answer
    await new_campaign(api, auth, messages=[{"content": "Hi {firstName} / {first_name}"}])
    error = await refused(
        api, auth, "POST", TEMPLATES, {"name": "t", "content": "Hi {nickname}"}, "content"
    )
    assert "nickname" in error["details"][0]["message"]
