"""A deleted resource stays gone: its id answers 404 on every route, also once newer rows
exist (the fuzz run's ST301, GET …/interactions after DELETE answering 200)."""

from __future__ import annotations

import pytest

from tests.api.bad_input import CAMPAIGNS, SEGMENTS, SUBSCRIBERS, TEMPLATES, new_campaign, send

ROUTES = ("", "/interactions", "/statistics", "/progress")


async def test_a_deleted_campaign_answers_404_on_every_route(api, auth):
    await new_campaign(api, auth)
    gone = await new_campaign(api, auth)
    status, _ = await send(api, auth, "DELETE", f"{CAMPAIGNS}/{gone}")
    assert status == 200
    for route in ROUTES:
        status, answer = await send(api, auth, "GET", f"{CAMPAIGNS}/{gone}{route}")
        assert status == 404, (route, answer)
        assert answer["error"]["code"] == "CAMPAIGN_NOT_FOUND"


async def test_a_deleted_campaigns_id_is_never_given_to_a_new_one(api, auth):
    await new_campaign(api, auth)
    gone = await new_campaign(api, auth)
    await send(api, auth, "DELETE", f"{CAMPAIGNS}/{gone}")
    newer = await new_campaign(api, auth)
    # SQLite reuses the highest rowid after a delete unless the table is AUTOINCREMENT (0012).
    assert newer != gone
    status, _ = await send(api, auth, "GET", f"{CAMPAIGNS}/{gone}/interactions")
    assert status == 404


KINDS = (
    (SEGMENTS, {"name": "s", "rules": {"field": "status", "op": "eq", "value": "active"}}),
    (TEMPLATES, {"name": "t", "content": "Hi"}),
    (SUBSCRIBERS, {"telegramId": 4242, "firstName": "Ada"}),
)


@pytest.mark.parametrize(("base", "body"), KINDS, ids=["segment", "template", "subscriber"])
async def test_no_deleted_id_is_given_again(api, auth, base, body):
    status, answer = await send(api, auth, "POST", base, body)
    assert status == 201, answer
    gone = answer["data"]["id"]
    status, answer = await send(api, auth, "DELETE", f"{base}/{gone}")
    assert status == 200, answer
    status, answer = await send(api, auth, "POST", base, body)
    assert status == 201, answer
    assert answer["data"]["id"] != gone
    status, _ = await send(api, auth, "GET", f"{base}/{gone}")
    assert status == 404
