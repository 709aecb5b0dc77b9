"""Every date the API takes lies between 1970-01-01T00:00:00Z and 9999-01-01T00:00:00Z once
converted to UTC (a year of headroom keeps later arithmetic from overflowing), and every
duration fits in a timedelta that can be added to any such date."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.validation import check_instant
from tests.api.bad_input import (
    CAMPAIGNS,
    EVENTS,
    SCHEDULES,
    SEGMENTS,
    everything_still_reads,
    new_campaign,
    new_subscriber,
    refused,
    send,
)

# 10000-01-01T04:00Z in UTC: datetime cannot even hold it.
OVERFLOWS = "9999-12-31T23:00:00-05:00"
BAD_DATES = [OVERFLOWS, "9999-06-01T00:00:00Z", "1969-12-31T23:59:59Z", "0001-01-01T00:00:00+01:00"]


def test_the_overflowing_example_really_overflows():
    local = datetime.fromisoformat(OVERFLOWS)
    with pytest.raises(OverflowError):
        local.astimezone(UTC)


@pytest.mark.parametrize("value", BAD_DATES)
async def test_campaign_dates_outside_the_range_are_a_400(api, auth, value):
    cid = await new_campaign(api, auth)
    for field in ("startDate", "endDate"):
        error = await refused(api, auth, "PATCH", f"{CAMPAIGNS}/{cid}", {field: value}, field)
        assert "1970-01-01" in error["details"][0]["message"]
    await refused(
        api, auth, "POST", f"{CAMPAIGNS}/{cid}/execute", {"scheduledAt": value}, "scheduledAt"
    )
    await refused(
        api, auth, "POST", f"{CAMPAIGNS}/{cid}/schedule", {"scheduledAt": value}, "scheduledAt"
    )
    await everything_still_reads(api, auth, f"{CAMPAIGNS}/{cid}")


@pytest.mark.parametrize("value", BAD_DATES)
async def test_schedule_event_and_rule_dates_outside_the_range_are_a_400(api, auth, value):
    cid = await new_campaign(api, auth)
    sub = await new_subscriber(api, auth)
    one_time = {"campaignId": cid, "type": "one-time", "schedule": {"startDateTime": value}}
    await refused(api, auth, "POST", SCHEDULES, one_time, "schedule.startDateTime")
    recurring = {"pattern": "daily", "timeOfDay": "09:00", "endDate": value}
    body = {"campaignId": cid, "type": "recurring", "schedule": {"recurring": recurring}}
    await refused(api, auth, "POST", SCHEDULES, body, "schedule.recurring.endDate")
    event = {"event": "purchase", "subscriberId": sub, "occurredAt": value}
    await refused(api, auth, "POST", EVENTS, event, "occurredAt")
    rule = {"field": "createdAt", "op": "gt", "value": value}
    await refused(
        api, auth, "POST", SEGMENTS, {"name": "s", "rules": {"all": [rule]}}, "rules.all[0].value"
    )
    await everything_still_reads(api, auth)


async def test_durations_that_overflow_are_refused(api, auth):
    cid = await new_campaign(api, auth)
    for op in ("within", "olderThan"):
        rule = {"field": "createdAt", "op": op, "value": "999999w"}
        error = await refused(api, auth, "POST", SEGMENTS, {"name": "s", "rules": {"all": [rule]}})
        assert error["details"][0]["field"] == "rules.all[0].value"
    target = {"type": "dynamic", "dynamicCriteria": {"newUsers": True, "within": "999999w"}}
    body = {"campaignId": cid, "type": "recurring", "targetAudience": target,
            "schedule": {"recurring": {"pattern": "daily", "timeOfDay": "09:00"}}}  # fmt: skip
    await refused(api, auth, "POST", SCHEDULES, body)
    await everything_still_reads(api, auth)


async def test_dates_inside_the_range_are_kept_in_utc(api, auth):
    cid = await new_campaign(api, auth)
    body = {"startDate": "2030-01-01T09:00:00+02:00", "endDate": "9998-12-31T18:00:00-05:00"}
    status, answer = await send(api, auth, "PATCH", f"{CAMPAIGNS}/{cid}", body)
    assert status == 200, answer
    assert answer["data"]["startDate"] == "2030-01-01T07:00:00Z"
    assert answer["data"]["endDate"] == "9998-12-31T23:00:00Z"


def test_check_instant_bounds():
    assert check_instant(datetime(1970, 1, 1, tzinfo=UTC)) == datetime(1970, 1, 1, tzinfo=UTC)
    latest = datetime(9999, 1, 1, tzinfo=UTC) - timedelta(microseconds=1)
    assert check_instant(latest) == latest
