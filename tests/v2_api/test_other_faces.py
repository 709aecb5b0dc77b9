"""A v2 campaign is an ordinary `bot_api` campaign: the campaigns API shows it too."""

from __future__ import annotations

import json

from core.ids import format_id
from tests.v2_api.conftest import add_subscriber


async def test_the_campaigns_api_reads_a_v2_campaign(v2, api, auth, core, actor):
    await add_subscriber(core, actor, 3101)
    await add_subscriber(core, actor, 3102)
    call = json.dumps({"method": "sendPhoto", "photo": "https://example.com/{{1}}.png"})
    status, created = await v2.create({
        "Name": "Seen from v1", "JSON": call, "Message": "Caption for {{1}}",
        "SendAt": "2099-01-01T00:00:00Z",
        "Clients": [{"AccountID": "3101", "Params": ["a"]}, {"AccountID": "3102", "Params": ["b"]}],
    })  # fmt: skip
    assert status == 200, created
    response = await api.get(
        f"/api/v1/campaigns/{format_id('campaign', created['ID'])}", headers=auth
    )
    assert response.status == 200, await response.text()
    data = (await response.json())["data"]
    assert (data["name"], data["type"], data["status"]) == ("Seen from v1", "bot_api", "scheduled")
    (message,) = data["messages"]
    assert message["content"] == "Caption for {{1}}"
    assert message["media"] == {"type": "photo", "url": "https://example.com/{{1}}.png"}
