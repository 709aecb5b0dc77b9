"""One time-zone validator everywhere a zone is taken: the name is checked (length, charset,
no `..`, no leading `/`, a known IANA zone) before zoneinfo ever sees it."""

from __future__ import annotations

from unittest import mock

import pytest

from core.validation import timezone_problem
from tests.api.bad_input import (
    CAMPAIGNS,
    SCHEDULES,
    SUBSCRIBERS,
    everything_still_reads,
    new_campaign,
    refused,
    send,
)

BAD_ZONES = ["../../etc/passwd", "/etc/localtime", "Europe/../UTC", "a" * 5000, "UTC\x00",
             "Europe/Lon don", "Mars/Olympus", "", "zoneinfo", "Europe/london"]  # fmt: skip


class Touched(BaseException):
    """Raised if zoneinfo is consulted (BaseException: no `except Exception` hides it)."""


@pytest.mark.parametrize("zone", BAD_ZONES)
def test_bad_names_never_reach_the_filesystem(zone):
    with mock.patch("core.validation_time.ZoneInfo", side_effect=Touched):
        assert timezone_problem(zone) is not None


def test_real_zones_pass():
    for zone in ("UTC", "Europe/London", "America/Argentina/Buenos_Aires", "Etc/GMT+5"):
        assert timezone_problem(zone) is None, zone


async def test_every_body_that_takes_a_zone_refuses_bad_ones(api, auth):
    cid = await new_campaign(api, auth)
    for zone in ("../../etc/passwd", "a" * 5000, "Mars/Olympus"):
        await refused(api, auth, "PATCH", f"{CAMPAIGNS}/{cid}", {"timezone": zone}, "timezone")
        schedule = {"scheduledAt": "2031-01-01T10:00:00Z", "timezone": zone}
        await refused(api, auth, "POST", f"{CAMPAIGNS}/{cid}/schedule", schedule, "timezone")
        await refused(
            api, auth, "POST", SUBSCRIBERS, {"telegramId": 5, "timezone": zone}, "timezone"
        )
        recurring = {"pattern": "daily", "timeOfDay": "09:00", "timezone": zone}
        body = {"campaignId": cid, "type": "recurring", "schedule": {"recurring": recurring}}
        error = await refused(api, auth, "POST", SCHEDULES, body, "schedule.recurring.timezone")
        assert error["code"] == "INVALID_TIMEZONE"
        quiet = {"start": "22:00", "end": "07:00", "timezone": zone}
        body = {"campaignId": cid, "type": "recurring", "deliverySettings": {"quietHours": quiet},
                "schedule": {"recurring": {"pattern": "daily", "timeOfDay": "09:00"}}}  # fmt: skip
        error = await refused(
            api, auth, "POST", SCHEDULES, body, "deliverySettings.quietHours.timezone"
        )
        assert error["code"] == "INVALID_TIMEZONE"
    await everything_still_reads(api, auth, f"{CAMPAIGNS}/{cid}")


async def test_a_good_zone_is_kept(api, auth):
    cid = await new_campaign(api, auth)
    status, answer = await send(
        api, auth, "PATCH", f"{CAMPAIGNS}/{cid}", {"timezone": "Asia/Tokyo"}
    )
    assert status == 200 and answer["data"]["timezone"] == "Asia/Tokyo"
