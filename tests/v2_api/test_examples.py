"""Every example request of v2-campaign-api.md, verbatim and then with its ids adapted.

The document's create examples name one client while its rule table says at least 2: sent
verbatim they get the rule's 400. Adapted, they get a second client, a template of this
service in place of the UUID, and a Telegram call in place of the WhatsApp JSON.
"""

from __future__ import annotations

import json

import pytest

from tests.v2_api.conftest import add_subscriber, add_template

pytestmark = pytest.mark.usefixtures("before_examples")

UUID = "c8630dcb-dc36-4968-8ca4-26a78893c1e6"
WHATSAPP_JSON = (
    '{ "to": "<accountID>", "type": "template", "template": { "namespace": "<namespace>", '
    '"language": { "policy": "deterministic", "code": "en_US" }, "name": "order_confirmation", '
    '"components": [] } }'
)
EXAMPLE_1 = {
    "name": "Order Confirmation Campaign",
    "clients": [{"accountID": "+966539078942", "params": ["John", "ORD-12345"]}],
    "TempMsgID": UUID,
    "SendAt": "2025-03-03T14:32:25+03:00",
}
EXAMPLE_2 = {**EXAMPLE_1, "JSON": WHATSAPP_JSON}
EXAMPLE_3 = {
    **EXAMPLE_2,
    "message": "Thank you for your order, John! Your order number is ORD-12345.",
}
EXAMPLE_4 = {
    "name": "Welcome Back Campaign",
    "message": "We are happy to see you back again.",
    "clients": [{"accountID": "+966539078942", "params": ["https://example.com/image1.png", ""]}],
    "JSON": '{ "to": "<accountID>", "type": "template", ... }',
    "TempMsgID": UUID,
    "SendAt": "2025-03-03T14:32:25+03:00",
}
TELEGRAM_JSON = json.dumps({"method": "sendMessage", "text": "Hi {{1}}, order {{2}} is confirmed."})
PHOTO_JSON = json.dumps({"method": "sendPhoto", "photo": "{{1}}"})
SECOND = {"accountID": "@second_client", "params": ["Mary", "ORD-12346"]}


@pytest.fixture
async def people(core, actor):
    """The example's phone number shared by one subscriber; a second one by username."""
    await add_subscriber(core, actor, 5001, phone="+966539078942")
    await add_subscriber(core, actor, 5002, username="second_client")


@pytest.fixture
async def template_id(core, actor):
    """The example's template: a BODY with the two variables and a Telegram call."""
    call = {"method": "sendMessage", "text": "Order {{2}} for {{1}}: confirmed."}
    return await add_template(core, actor, "Dear {{1}}, order {{2}} is confirmed.", call)


def adapted(example, template_id, **changes):
    """The example with a second client and this service's template id."""
    body = {**example, "clients": [*example["clients"], SECOND], "TempMsgID": str(template_id)}
    return {**body, **changes}


@pytest.mark.parametrize("example", [EXAMPLE_1, EXAMPLE_2, EXAMPLE_3, EXAMPLE_4])
async def test_verbatim_examples_have_one_client_and_get_the_rule(v2, example):
    assert await v2.create(example) == (
        400,
        {"error": "invalid request: at least 2 clients required"},
    )


async def test_example_1_fills_body_and_json_from_the_template(v2, people, template_id):
    status, body = await v2.create(adapted(EXAMPLE_1, template_id))
    assert status == 200, body
    assert body["Name"] == "Order Confirmation Campaign"
    assert body["Message"] == "Dear {{1}}, order {{2}} is confirmed."
    assert json.loads(body["JSON"]) == {
        "method": "sendMessage",
        "text": "Order {{2}} for {{1}}: confirmed.",
    }
    assert (body["TempMsgID"], body["TemplateName"]) == (str(template_id), "Order confirmation")
    assert body["Status"] == "scheduled"
    assert body["SendAt"] == "2025-03-03T11:32:25Z"
    assert body["Total"] == 2
    assert body["Clients"] == [
        {"AccountID": "+966539078942", "Params": ["John", "ORD-12345"]},
        {"AccountID": "@second_client", "Params": ["Mary", "ORD-12346"]},
    ]
    assert isinstance(body["ID"], int) and isinstance(body["CompanyID"], int)


async def test_example_2_json_overrides_the_templates(v2, people, template_id):
    # Verbatim, its JSON is a WhatsApp message: refused with the reason.
    status, body = await v2.create(adapted(EXAMPLE_2, template_id))
    assert (status, body) == (400, {"error": "invalid request: JSON must be an object naming a "
                                    "Telegram method: one of sendMessage, sendPhoto, sendVideo, "
                                    "sendDocument, sendAnimation"})  # fmt: skip
    status, body = await v2.create(adapted(EXAMPLE_2, template_id, JSON=TELEGRAM_JSON))
    assert status == 200, body
    assert json.loads(body["JSON"]) == json.loads(TELEGRAM_JSON)
    assert body["Message"] == "Dear {{1}}, order {{2}} is confirmed."  # BODY still the template's


async def test_example_3_message_overrides_the_body(v2, people, template_id):
    status, body = await v2.create(adapted(EXAMPLE_3, template_id, JSON=PHOTO_JSON))
    assert status == 200, body
    assert body["Message"] == "Thank you for your order, John! Your order number is ORD-12345."
    assert json.loads(body["JSON"]) == {"method": "sendPhoto", "photo": "{{1}}"}


async def test_example_4_all_fields_are_used_as_given(v2, people, template_id):
    status, body = await v2.create(adapted(EXAMPLE_4, template_id))
    assert (status, body) == (400, {"error": "invalid request: JSON is not valid JSON"})
    given = adapted(EXAMPLE_4, template_id, JSON=PHOTO_JSON)
    given["clients"][1] = {
        "accountID": "@second_client",
        "params": ["https://example.com/2.png", ""],
    }
    status, body = await v2.create(given)
    assert status == 200, body
    assert body["Name"] == "Welcome Back Campaign"
    assert body["Message"] == "We are happy to see you back again."
    assert json.loads(body["JSON"]) == {"method": "sendPhoto", "photo": "{{1}}"}


async def test_delete_example(v2, people, template_id):
    status, created = await v2.create(adapted(EXAMPLE_1, template_id))
    assert status == 200
    assert await v2.call("DELETE", "/delete", json={"id": 385}) == (
        404,
        {"error": "campaign not found"},
    )
    status, body = await v2.call("DELETE", "/delete", json={"id": created["ID"]})
    assert status == 200, body
    assert (body["ID"], body["Status"]) == (created["ID"], "cancelled")  # it was scheduled
    status, _ = await v2.call("DELETE", "/delete", json={"id": created["ID"]})
    assert status == 404


async def test_update_example(v2, people, template_id):
    status, created = await v2.create(adapted(EXAMPLE_1, template_id))
    assert status == 200
    example = {"id": created["ID"], "name": "test22", "SendAt": "2025-03-04T11:31:25.000Z"}
    status, body = await v2.call("PUT", "/update", json=example)
    assert status == 200, body
    assert (body["Name"], body["SendAt"], body["Status"]) == (
        "test22",
        "2025-03-04T11:31:25Z",
        "scheduled",
    )


async def test_resend_example(v2, people, template_id):
    example = {"messageKey": "C030200170205C476A3B882B2702FF"}
    assert await v2.call("POST", "/resendMsg", json=example) == (
        404,
        {"error": "message not found"},
    )
