"""update changes only Name and SendAt of a scheduled campaign; delete stops before it deletes."""

from __future__ import annotations

import json

import pytest

from tests.v2_api.conftest import add_subscriber, wait_for

ONLY_SCHEDULED = "only scheduled campaigns can be updated (name and SendAt fields only)"
CALL = json.dumps({"method": "sendMessage", "text": "Hello {{1}}"})


@pytest.fixture
async def body(core, actor):
    await add_subscriber(core, actor, 6001)
    await add_subscriber(core, actor, 6002)
    return {"Name": "Spring", "JSON": CALL,
            "Clients": [{"AccountID": "6001", "Params": ["A"]},
                        {"AccountID": "6002", "Params": ["B"]}]}  # fmt: skip


async def test_a_scheduled_campaign_is_renamed_and_rescheduled(v2, body):
    status, created = await v2.create({**body, "SendAt": "2099-05-01T10:00:00+02:00"})
    assert (status, created["Status"], created["SendAt"]) == (
        200,
        "scheduled",
        "2099-05-01T08:00:00Z",
    )
    assert {m["Status"] for m in await v2.messages(created["ID"])} == {"scheduled"}
    status, renamed = await v2.call("PUT", "/update", json={"ID": created["ID"], "Name": "Summer"})
    assert (status, renamed["Name"], renamed["SendAt"]) == (200, "Summer", "2099-05-01T08:00:00Z")
    status, moved = await v2.call(
        "PUT", "/update", json={"ID": created["ID"], "SendAt": "2099-06-01T00:00:00Z"}
    )
    assert (status, moved["Name"], moved["SendAt"]) == (200, "Summer", "2099-06-01T00:00:00Z")
    status, same = await v2.call("PUT", "/update", json={"ID": created["ID"]})
    assert (status, same["Name"], same["SendAt"]) == (200, "Summer", "2099-06-01T00:00:00Z")


async def test_other_fields_are_refused_never_ignored(v2, body):
    status, created = await v2.create({**body, "SendAt": "2099-05-01T10:00:00Z"})
    assert status == 200
    for extra in ({"Message": "new text"}, {"Clients": []}, {"json": CALL}):
        change = {"ID": created["ID"], "Name": "Changed", **extra}
        assert await v2.call("PUT", "/update", json=change) == (400, {"error": ONLY_SCHEDULED})
    assert (await v2.call("GET", "/getAll"))[1]["Campaigns"][0]["Name"] == "Spring"


async def test_a_campaign_that_is_not_scheduled_is_not_updated(v2, body):
    status, created = await v2.create(body)  # sent at once: active, no engine to finish it
    assert (status, created["Status"]) == (200, "active")
    change = {"ID": created["ID"], "Name": "Renamed", "SendAt": "2099-01-01T00:00:00Z"}
    assert await v2.call("PUT", "/update", json=change) == (400, {"error": ONLY_SCHEDULED})
    status, page = await v2.call("GET", "/getAll")
    assert (page["Campaigns"][0]["Name"], page["Campaigns"][0]["SendAt"]) == ("Spring", "")


async def test_update_checks_the_new_time(v2, body):
    status, created = await v2.create({**body, "SendAt": "2099-05-01T10:00:00Z"})
    assert status == 200
    change = {"ID": created["ID"], "SendAt": "2001-01-01T00:00:00Z"}
    assert await v2.call("PUT", "/update", json=change) == (
        400,
        {"error": "invalid request: SendAt is in the past"},
    )
    assert await v2.call("PUT", "/update", json={"ID": 424242, "Name": "x"}) == (
        404,
        {"error": "campaign not found"},
    )


async def test_a_running_campaign_is_cancelled_then_deleted(v2, body):
    status, created = await v2.create(body)
    assert (status, created["Status"]) == (200, "active")
    status, deleted = await v2.call("DELETE", "/delete", json={"ID": created["ID"]})
    assert (status, deleted["ID"], deleted["Status"]) == (200, created["ID"], "cancelled")
    assert await v2.call("GET", f"/getCampMsgs?campaignID={created['ID']}") == (
        404,
        {"error": "campaign not found"},
    )
    assert (await v2.call("GET", "/getAll"))[1] == {"Campaigns": [], "Total": 0}


async def test_a_completed_campaign_is_kept(v2, body, emu, make_engine):
    await emu.create_user(id=6001, first_name="A")
    await emu.create_user(id=6002, first_name="B")
    await make_engine().start()
    status, created = await v2.create(body)
    assert status == 200

    async def completed():
        return (await v2.call("GET", "/getAll"))[1]["Campaigns"][0]["Status"] == "completed"

    await wait_for(completed)
    assert await v2.call("DELETE", "/delete", json={"ID": created["ID"]}) == (
        400,
        {"error": "a completed campaign cannot be deleted"},
    )
