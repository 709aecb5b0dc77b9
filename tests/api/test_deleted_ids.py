"""A deleted resource stays gone: its id answers 404 on every route, also once newer rows
exist (the fuzz run's ST301, GET …/interactions after DELETE answering 200)."""

from __future__ import annotations

import pytest

from tests.api.bad_input import CAMPAIGNS, new_campaign, send

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
    if newer == gone:
        # SQLite reuses the highest rowid after a delete unless the table is AUTOINCREMENT;
        # the fix belongs to storage (models + migration), see the report.
        pytest.xfail("SQLite gives a deleted campaign's id to the next campaign")
    status, _ = await send(api, auth, "GET", f"{CAMPAIGNS}/{gone}/interactions")
    assert status == 404
