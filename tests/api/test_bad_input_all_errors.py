"""One request with several problems answers one 400 naming every one of them: bad fields,
cross-field rules and the core's own rules (unknown segments, past dates) together."""

from __future__ import annotations

from tests.api.bad_input import CAMPAIGNS, SCHEDULES, everything_still_reads, new_campaign, send

START = "2030-01-02T00:00:00Z"
BEFORE_START = "2030-01-01T00:00:00Z"
UNKNOWN_SEGMENT = {"segments": ["seg_999999"]}


async def problems(api, auth, method: str, path: str, body: dict) -> tuple[set[str], dict]:
    """Expect one 400 in the usual envelope; the fields it names, and the error."""
    status, answer = await send(api, auth, method, path, body)
    assert status == 400, answer
    assert answer["success"] is False
    error = answer["error"]
    assert error["code"] and error["message"]
    assert all(d["field"] and d["message"] for d in error["details"]), error
    return {d["field"] for d in error["details"]}, error


async def test_create_reports_fields_cross_field_and_core_rules_together(api, auth):
    body = {
        "name": "",  # too short
        "budget": -1,  # below 0
        "startDate": START,
        "endDate": BEFORE_START,  # cross-field
        "targetAudience": UNKNOWN_SEGMENT,  # the core's rule
    }
    fields, error = await problems(api, auth, "POST", CAMPAIGNS, body)
    assert fields == {"name", "budget", "endDate", "targetAudience.segments[0]"}
    assert error["code"] == "VALIDATION_ERROR"
    _, answer = await send(api, auth, "GET", CAMPAIGNS)
    assert answer["data"]["pagination"]["total"] == 0
    await everything_still_reads(api, auth)


async def test_a_missing_required_field_does_not_hide_the_other_rules(api, auth):
    body = {"startDate": START, "endDate": START, "targetAudience": UNKNOWN_SEGMENT}
    fields, _ = await problems(api, auth, "POST", CAMPAIGNS, body)
    assert fields == {"name", "endDate", "targetAudience.segments[0]"}


async def test_the_date_rule_alone_names_end_date(api, auth):
    body = {"name": "Sale", "startDate": START, "endDate": BEFORE_START}
    fields, error = await problems(api, auth, "POST", CAMPAIGNS, body)
    assert fields == {"endDate"}
    assert "startDate" in error["details"][0]["message"]


async def test_a_bad_field_is_not_checked_again_by_the_core(api, auth):
    # startDate is malformed: the date rule has nothing to compare, the segment still counts.
    body = {"name": "Sale", "startDate": "soon", "endDate": BEFORE_START}
    body["targetAudience"] = UNKNOWN_SEGMENT
    fields, _ = await problems(api, auth, "POST", CAMPAIGNS, body)
    assert fields == {"startDate", "targetAudience.segments[0]"}


async def test_put_and_patch_report_every_problem_against_the_stored_campaign(api, auth):
    cid = await new_campaign(api, auth, startDate=START)
    body = {
        "type": "nope",
        "budget": -1,
        "endDate": BEFORE_START,  # before the stored startDate
        "targetAudience": UNKNOWN_SEGMENT,
    }
    for method in ("PUT", "PATCH"):
        fields, _ = await problems(api, auth, method, f"{CAMPAIGNS}/{cid}", body)
        assert fields == {"type", "budget", "endDate", "targetAudience.segments[0]"}, method
    _, answer = await send(api, auth, "GET", f"{CAMPAIGNS}/{cid}")
    assert answer["data"]["endDate"] is None and answer["data"]["budget"] is None
    await everything_still_reads(api, auth, f"{CAMPAIGNS}/{cid}")


async def test_a_bad_body_is_reported_before_an_unknown_id(api, auth):
    fields, _ = await problems(api, auth, "PATCH", f"{CAMPAIGNS}/camp_999999", {"budget": -1})
    assert fields == {"budget"}


async def test_schedule_create_reports_fields_and_schedule_rules_together(api, auth):
    cid = await new_campaign(api, auth)
    body = {
        "campaignId": cid,
        "type": "recurring",
        "campaignName": "x" * 201,
        "deliverySettings": {"priority": "urgent"},
        "schedule": {
            "recurring": {
                "pattern": "daily",
                "timeOfDay": "25:00",
                "timezone": "Mars/Base",
                "endDate": "2000-01-01T00:00:00Z",
            }
        },
    }
    fields, _ = await problems(api, auth, "POST", SCHEDULES, body)
    assert fields == {
        "campaignName",
        "deliverySettings.priority",
        "schedule.recurring.timeOfDay",
        "schedule.recurring.timezone",
        "schedule.recurring.endDate",
    }
    await everything_still_reads(api, auth)


async def test_every_problem_of_a_schedule_block_is_reported(api, auth):
    cid = await new_campaign(api, auth)
    block = {
        "pattern": "weekly",
        "timeOfDay": "9am",
        "timezone": "Mars/Base",
        "daysOfWeek": [7],
        "maxOccurrences": 0,
    }
    body = {"campaignId": cid, "type": "recurring", "schedule": {"recurring": block}}
    fields, error = await problems(api, auth, "POST", SCHEDULES, body)
    assert fields == {
        "schedule.recurring.timeOfDay",
        "schedule.recurring.timezone",
        "schedule.recurring.daysOfWeek",
        "schedule.recurring.maxOccurrences",
    }
    assert error["code"] in ("INVALID_SCHEDULE", "INVALID_TIMEZONE")


async def test_a_merged_detail_keeps_the_code_of_its_own_problem(api, auth):
    body = {"name": "", "targetAudience": UNKNOWN_SEGMENT}
    _, error = await problems(api, auth, "POST", CAMPAIGNS, body)
    assert error["code"] == "VALIDATION_ERROR"
    codes = {d["field"]: d.get("code") for d in error["details"]}
    assert codes == {"name": None, "targetAudience.segments[0]": "SEGMENT_NOT_FOUND"}
    # Alone, the unknown segment is the error's own code.
    _, error = await problems(
        api, auth, "POST", CAMPAIGNS, {"name": "Sale", **{"targetAudience": UNKNOWN_SEGMENT}}
    )
    assert error["code"] == "SEGMENT_NOT_FOUND"


TOMORROW = {"startDateTime": "2099-01-01T09:00:00Z"}
CORE_PROBLEMS = {
    "targetAudience": {"type": "segment", "segmentId": "seg_999999"},
    "messageConfig": {"templateId": "tmpl_999999"},
    "notifications": {"onComplete": {"channels": ["email"]}},
}
# core.scheduling.audience names a segment audience's unknown segmentId as a list item.
CORE_FIELDS = {
    "targetAudience.segments[0]",
    "messageConfig.templateId",
    "notifications.onComplete.channels",
}


async def test_schedule_create_reports_fields_and_the_cores_checks_together(api, auth):
    body = {
        "campaignId": "camp_999999",  # unknown: a 400 naming the field, beside the others
        "type": "one-time",
        "campaignName": "x" * 201,
        "schedule": {"startDateTime": "2000-01-01T00:00:00Z"},  # in the past
        **CORE_PROBLEMS,
    }
    fields, error = await problems(api, auth, "POST", SCHEDULES, body)
    assert fields == {"campaignId", "campaignName", "schedule.startDateTime"} | CORE_FIELDS
    assert error["code"] == "VALIDATION_ERROR"
    codes = {d["field"]: d.get("code") for d in error["details"]}
    assert codes["campaignId"] == "CAMPAIGN_NOT_FOUND"
    assert codes["messageConfig.templateId"] == "TEMPLATE_NOT_FOUND"
    assert codes["notifications.onComplete.channels"] == "UNSUPPORTED_CHANNEL"
    _, answer = await send(api, auth, "GET", SCHEDULES)
    assert answer["data"] == []
    await everything_still_reads(api, auth)


async def test_schedule_create_without_field_errors_still_reports_every_core_problem(api, auth):
    cid = await new_campaign(api, auth)
    body = {"campaignId": cid, "type": "one-time", "schedule": TOMORROW, **CORE_PROBLEMS}
    fields, error = await problems(api, auth, "POST", SCHEDULES, body)
    assert fields == CORE_FIELDS
    assert error["code"] == "SEGMENT_NOT_FOUND"


async def new_schedule(api, auth) -> str:
    cid = await new_campaign(api, auth)
    body = {"campaignId": cid, "type": "one-time", "schedule": TOMORROW}
    status, answer = await send(api, auth, "POST", SCHEDULES, body)
    assert status == 201, answer
    return answer["data"]["id"]


async def test_schedule_put_reports_fields_schedule_and_core_problems_together(api, auth):
    sid = await new_schedule(api, auth)
    body = {
        "campaignName": "x" * 201,
        "deliverySettings": {"priority": "urgent"},
        "schedule": {"startDateTime": "2000-01-01T00:00:00Z"},
        **CORE_PROBLEMS,
    }
    fields, _ = await problems(api, auth, "PUT", f"{SCHEDULES}/{sid}", body)
    assert (
        fields
        == {
            "campaignName",
            "deliverySettings.priority",
            "schedule.startDateTime",
        }
        | CORE_FIELDS
    )
    _, answer = await send(api, auth, "GET", f"{SCHEDULES}/{sid}")
    assert answer["data"]["schedule"] == TOMORROW
    await everything_still_reads(api, auth, f"{SCHEDULES}/{sid}")


async def test_schedule_put_reports_a_bad_body_before_an_unknown_id(api, auth):
    # The field errors only: the core's checks need the stored schedule (as for campaigns).
    body = {"campaignName": "x" * 201, **CORE_PROBLEMS}
    fields, _ = await problems(api, auth, "PUT", f"{SCHEDULES}/sched_999999", body)
    assert fields == {"campaignName"}
    status, answer = await send(api, auth, "PUT", f"{SCHEDULES}/sched_999999", {})
    assert status == 404 and answer["error"]["code"] == "SCHEDULED_CAMPAIGN_NOT_FOUND"
