"""Free-form JSON (attributes, properties, filters, rules, schedules, personalization, goals)
is bounded so that whatever is stored can be serialised again by every later read."""

from __future__ import annotations

import orjson
import pytest

from core.validation import MAX_JSON_DEPTH, json_problems
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

LATER = {"startDateTime": "2099-01-01T00:00:00Z"}


def nested(depth: int) -> dict:
    """An object `depth` levels deep: {"a": {"a": ... {}}}."""
    value: dict = {}
    for _ in range(depth - 1):
        value = {"a": value}
    return value


def test_orjson_cannot_write_what_the_bounds_refuse():
    # The bounds exist because later reads serialise with orjson.
    with pytest.raises(orjson.JSONEncodeError):
        orjson.dumps(nested(300))
    with pytest.raises(orjson.JSONEncodeError):
        orjson.dumps({"n": 2**64})
    assert json_problems(nested(MAX_JSON_DEPTH), "x") == []
    assert json_problems(nested(MAX_JSON_DEPTH + 1), "x") == ["x nests deeper than 32 levels"]
    assert json_problems({"a": "b\x00"}, "x") == ["x holds a string containing NUL"]
    assert json_problems(list(range(20_000)), "x") == ["x has more than 10000 values"]


async def test_too_deep_free_form_values_are_refused_everywhere(api, auth):
    cid = await new_campaign(api, auth)
    sub = await new_subscriber(api, auth, 7)
    deep = nested(MAX_JSON_DEPTH + 1)
    cases = [
        ("POST", SUBSCRIBERS, {"telegramId": 7, "attributes": deep}, "attributes"),
        ("POST", EVENTS, {"event": "purchase", "subscriberId": sub, "properties": deep}, "properties"),
        ("PATCH", f"{CAMPAIGNS}/{cid}", {"targetAudience": {"filters": deep}}, "targetAudience.filters"),
        ("POST", SEGMENTS, {"name": "deep", "rules": deep}, "rules"),
        ("POST", SCHEDULES, {"campaignId": cid, "type": "one-time", "schedule": deep}, "schedule"),
        # A valid schedule: every problem of a body is reported, only the deep value is one.
        ("POST", SCHEDULES, {"campaignId": cid, "type": "one-time", "schedule": LATER,
                             "messageConfig": {"personalization": deep}}, "messageConfig.personalization"),
    ]  # fmt: skip
    for method, path, body, field in cases:
        error = await refused(api, auth, method, path, body, field)
        assert "deeper than 32" in error["details"][0]["message"], error
    await everything_still_reads(api, auth, f"{CAMPAIGNS}/{cid}", f"{SUBSCRIBERS}/{sub}")


async def test_a_whole_body_nested_hundreds_of_levels_is_a_clear_400(api, auth):
    response = await api.post(
        SUBSCRIBERS,
        data=b'{"telegramId": 5, "attributes": ' + b'{"a": ' * 300 + b"1" + b"}" * 301,
        headers={**auth, "Content-Type": "application/json"},
    )
    assert response.status == 400
    assert (await response.json())["success"] is False


async def test_free_form_values_within_bounds_round_trip(api, auth):
    attributes = {"deep": nested(MAX_JSON_DEPTH - 1), "big": 2**63 - 1, "small": -(2**63)}
    sub = await new_subscriber(api, auth, 9, attributes=attributes)
    status, answer = await send(api, auth, "GET", f"{SUBSCRIBERS}/{sub}")
    assert status == 200
    assert answer["data"]["attributes"] == attributes
