"""The rule table of v2-campaign-api.md, each with its exact message, and how requests are read
(Go's case-insensitive keys and its type errors), authenticated and refused."""

from __future__ import annotations

import json

import pytest

from tests.v2_api.conftest import add_subscriber, add_template

TEXT_CALL = json.dumps({"method": "sendMessage", "text": "Hello {{1}}"})


def client(account, *params):
    return {"AccountID": account, "Params": list(params)}


@pytest.fixture
async def two(core, actor):
    """Two subscribers named by Telegram id."""
    await add_subscriber(core, actor, 7001)
    await add_subscriber(core, actor, 7002)
    return [client("7001", "Ann"), client("7002", "Bo")]


async def refused(v2, body, message):
    assert await v2.create(body) == (400, {"error": message})


# The rule table -----------------------------------------------------------------------------


@pytest.mark.parametrize("count", [0, 1])
async def test_at_least_2_clients(v2, count):
    clients = [client(str(7001 + i), "x") for i in range(count)]
    body = {"Name": "n", "JSON": TEXT_CALL, "Clients": clients}
    await refused(v2, body, "invalid request: at least 2 clients required")


@pytest.mark.parametrize("ref", ["999999", "tmpl_999999", "c8630dcb-dc36-4968-8ca4-26a78893c1e6"])
async def test_temp_msg_id_must_exist(v2, two, ref):
    body = {"Name": "n", "TempMsgID": ref, "Clients": two}
    await refused(v2, body, "invalid request: template not found")


async def test_a_template_of_another_tenant_does_not_exist(v2, two, core, actor, other_auth):
    template_id = await add_template(core, actor, "Hi {{1}}")
    status, _ = await v2.create({"Name": "n", "TempMsgID": str(template_id), "Clients": two})
    assert status == 200
    v2.key = other_auth["X-API-Key"]
    body = {"Name": "n", "TempMsgID": str(template_id), "Clients": two}
    await refused(v2, body, "invalid request: template not found")


async def test_json_or_temp_msg_id_required(v2, two):
    body = {"Name": "n", "Message": "Hello", "Clients": two}
    await refused(v2, body, "invalid request: JSON or TempMsgID required")


async def test_the_first_clients_params_must_cover_the_json_variables(v2, two):
    call = json.dumps({"method": "sendMessage", "text": "{{1}} and {{3}}"})
    body = {"Name": "n", "JSON": call, "Clients": [client("7001", "a", "b"), client("7002")]}
    await refused(v2, body, "invalid request: not enough params for variables in JSON")
    # Only the first client is counted against the JSON (the table's rule).
    body["Clients"] = [client("7001", "a", "b", "c"), client("7002")]
    status, created = await v2.create(body)
    assert status == 200, created


async def test_each_client_must_have_params_for_every_template_variable(v2, two, core, actor):
    template_id = await add_template(core, actor, "Dear {{1}}, order {{2}}")
    body = {"Name": "n", "TempMsgID": str(template_id),
            "Clients": [client("7001", "Ann", "A-1"), client("7002", "Bo")]}  # fmt: skip
    await refused(
        v2, body, "invalid request: each client must have params for all template variables"
    )
    body["Clients"][1]["Params"].append("B-2")
    status, created = await v2.create(body)
    assert status == 200, created
    assert created["Message"] == "Dear {{1}}, order {{2}}"  # BODY auto-filled


async def test_rules_are_checked_in_the_tables_order(v2):
    # No clients, no template, no JSON: the first rule of the table answers.
    await refused(
        v2, {"Name": "n", "TempMsgID": "404"}, "invalid request: at least 2 clients required"
    )
    body = {"Name": "n", "TempMsgID": "404", "Clients": [client("1"), client("2")]}
    await refused(v2, body, "invalid request: template not found")


# This service's own rules, in the same style ------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"Name": "  "}, "invalid request: name is required"),
        ({"Name": "x" * 201}, "invalid request: name is at most 200 characters"),
        ({"JSON": "{"}, "invalid request: JSON is not valid JSON"),
        ({"JSON": '{"method": "sendPoll", "question": "?"}'},
         "invalid request: JSON method 'sendPoll' is not supported: use one of sendMessage, "
         "sendPhoto, sendVideo, sendDocument, sendAnimation"),
        ({"JSON": '{"method": "sendMessage", "text": "x", "chat_id": 5}'},
         "invalid request: JSON: sendMessage has no parameter 'chat_id'"),
        ({"JSON": '{"method": "sendPhoto", "caption": "x"}'},
         "invalid request: JSON: sendPhoto needs the parameter 'photo'"),
        ({"SendAt": "tomorrow"}, "invalid request: SendAt must be an ISO 8601 time with a zone, "
         "e.g. 2025-03-03T14:32:25+03:00"),
        ({"SendAt": "2030-01-01T10:00:00"}, "invalid request: SendAt must be an ISO 8601 time "
         "with a zone, e.g. 2025-03-03T14:32:25+03:00"),
        ({"SendAt": "2020-01-01T10:00:00Z"}, "invalid request: SendAt is in the past"),
    ],
)  # fmt: skip
async def test_own_rules(v2, two, changes, message):
    await refused(v2, {"Name": "n", "JSON": TEXT_CALL, "Clients": two, **changes}, message)


async def test_nothing_is_stored_when_refused(v2, two):
    await refused(
        v2, {"Name": "", "JSON": TEXT_CALL, "Clients": two}, "invalid request: name is required"
    )
    assert await v2.call("GET", "/getAll") == (200, {"Campaigns": [], "Total": 0})


# Reading requests as Go did -----------------------------------------------------------------


async def test_keys_match_field_names_case_insensitively(v2, two):
    body = {
        "NAME": "Loud",
        "cLiEnTs": [
            {"accountid": "7001", "PARAMS": ["Ann"]},
            {"accountId": "7002", "params": ["Bo"]},
        ],
        "json": TEXT_CALL,
        "sendat": "2099-01-01T00:00:00Z",
        "unknown": "ignored, as Go ignores it",
    }
    status, created = await v2.create(body)
    assert status == 200, created
    assert (created["Name"], created["SendAt"]) == ("Loud", "2099-01-01T00:00:00Z")
    assert created["Clients"] == [{"AccountID": "7001", "Params": ["Ann"]},
                                  {"AccountID": "7002", "Params": ["Bo"]}]  # fmt: skip
    status, found = await v2.call("PUT", "/update", json={"iD": created["ID"], "nAmE": "Quiet"})
    assert (status, found["Name"]) == (200, "Quiet")


async def test_the_exact_key_wins_over_a_folded_one_and_nulls_are_zero(v2, two):
    body = {"name": "folded", "Name": None, "JSON": TEXT_CALL, "Clients": two, "SendAt": None}
    status, created = await v2.create(body)
    assert (status, created["Name"]) == (200, "folded")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"Name": 5}, "invalid request body: json: cannot unmarshal number into Go struct field "
         "CreateCampaignRequest.Name of type string"),
        ({"Clients": {"AccountID": "1"}}, "invalid request body: json: cannot unmarshal object "
         "into Go struct field CreateCampaignRequest.Clients of type []CampaignClient"),
        ({"Clients": [{"Params": [1]}]}, "invalid request body: json: cannot unmarshal number "
         "into Go struct field CreateCampaignRequest.Clients.Params of type string"),
        ({"Clients": [{"AccountID": 7001}]}, "invalid request body: json: cannot unmarshal "
         "number into Go struct field CreateCampaignRequest.Clients.AccountID of type string"),
    ],
)  # fmt: skip
async def test_types_are_strict_and_told_as_go_tells_them(v2, body, message):
    await refused(v2, body, message)


async def test_ids_are_integers(v2):
    for value, shown in (("385", "string"), (3.5, "number 3.5"), (2**64, f"number {2**64}")):
        status, body = await v2.call("DELETE", "/delete", json={"ID": value})
        assert status == 400, body
        assert body["error"].startswith(f"invalid request body: json: cannot unmarshal {shown}")
        assert body["error"].endswith("Go struct field DeleteCampaignRequest.ID of type int")


async def test_bodies_that_are_not_json_objects(v2):
    assert await v2.call("POST", "/create", data=b"") == (
        400,
        {"error": "invalid request body: EOF"},
    )
    status, body = await v2.call("POST", "/create", data=b"[1]")
    assert (status, body["error"]) == (
        400,
        "invalid request body: json: cannot unmarshal array into Go value",
    )
    status, body = await v2.call("POST", "/create", data=b"{nope")
    assert status == 400 and body["error"].startswith("invalid request body: ")


async def test_content_type_is_not_required_as_go_never_looked(v2, two):
    raw = json.dumps({"Name": "n", "JSON": TEXT_CALL, "Clients": two}).encode()
    status, body = await v2.call(
        "POST", "/create", data=raw, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert status == 200, body


# Authentication, query parameters, unknown things -------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "/create"), ("DELETE", "/delete"), ("GET", "/getAll"),
     ("GET", "/getCampMsgs?campaignID=1"), ("POST", "/resendMsg"), ("PUT", "/update")],
)  # fmt: skip
async def test_every_endpoint_needs_an_x_api_key(v2, method, path):
    async with v2.client.request(method, "/v2/campaign" + path, json={}) as response:
        assert response.status == 401
        assert set(await response.json()) == {"error"}
    status, body = await v2.call(method, path, json={}, headers={"X-API-Key": "tgc_wrong"})
    assert (status, body) == (401, {"error": "The API key is not valid."})


async def test_query_parameters(v2):
    for query, message in (
        ("", "invalid request: campaignID is required"),
        ("?campaignID=abc", "invalid request: campaignID must be a positive integer"),
        ("?campaignID=0", "invalid request: campaignID must be a positive integer"),
        ("?campaignID=1&resultSize=-1", "invalid request: resultSize must be a positive integer"),
    ):
        assert await v2.call("GET", "/getCampMsgs" + query) == (400, {"error": message})
    assert await v2.call("GET", "/getCampMsgs?campaignID=99") == (
        404,
        {"error": "campaign not found"},
    )
    assert await v2.call("GET", "/getAll?resultSize=x") == (
        400,
        {"error": "invalid request: resultSize must be a positive integer"},
    )


async def test_get_all_lists_newest_first_up_to_result_size(v2, two):
    ids = []
    for name in ("first", "second", "third"):
        status, created = await v2.create({"Name": name, "JSON": TEXT_CALL, "Clients": two,
                                           "SendAt": "2099-01-01T00:00:00Z"})  # fmt: skip
        assert status == 200
        ids.append(created["ID"])
    status, body = await v2.call("GET", "/getAll")
    assert (status, [c["ID"] for c in body["Campaigns"]], body["Total"]) == (200, ids[::-1], 3)
    status, body = await v2.call("GET", "/getAll?resultSize=2")
    assert [c["Name"] for c in body["Campaigns"]] == ["third", "second"]


async def test_another_tenants_campaign_is_not_found(v2, two, other_auth):
    status, created = await v2.create({"Name": "n", "JSON": TEXT_CALL, "Clients": two})
    assert status == 200
    v2.key = other_auth["X-API-Key"]
    assert await v2.call("GET", f"/getCampMsgs?campaignID={created['ID']}") == (
        404,
        {"error": "campaign not found"},
    )
    assert await v2.call("DELETE", "/delete", json={"ID": created["ID"]}) == (
        404,
        {"error": "campaign not found"},
    )


async def test_unknown_v2_paths_answer_in_the_v2_dialect(v2):
    assert await v2.call("GET", "/nope") == (404, {"error": "No such endpoint."})


async def test_nul_characters_are_refused_where_they_would_be_stored(v2):
    await refused(
        v2, {"Name": "a\x00b"}, "invalid request body: Name must not contain NUL characters"
    )
    body = {"Clients": [{"AccountID": "1", "Params": ["ok", "b\x00d"]}]}
    message = "invalid request body: Clients[0].Params[1] must not contain NUL characters"
    await refused(v2, body, message)
    status, _ = await v2.create({"ignored\x00key": 1, "Name": "n"})  # unknown keys are ignored
    assert status == 400 and _ == {"error": "invalid request: at least 2 clients required"}
