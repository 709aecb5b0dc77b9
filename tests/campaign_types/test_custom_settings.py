"""Custom campaigns are checked when saved: the method is allow-listed, its parameters are the
method's own with the right types, the service's own are refused, variables are known."""

from __future__ import annotations

from typing import Any

import pytest

from core.campaign_types.settings import settings_for
from core.errors import ValidationFailed

URL = "/api/v1/campaigns"


def problems(settings: dict[str, Any]) -> dict[str, str]:
    """The settings' problems, by field, as core reports them."""
    with pytest.raises(ValidationFailed) as caught:
        settings_for("custom", settings)
    return {detail["field"]: detail["message"] for detail in caught.value.details}


def test_a_valid_call_is_stored_as_given():
    settings = {
        "method": "sendVenue",
        "params": {"latitude": 52.52, "longitude": 13.4, "title": "Shop", "address": "Main St 1"},
    }
    assert settings_for("custom", settings) == settings


def test_an_unknown_method_names_the_allowed_ones():
    (message,) = problems({"method": "banChatMember", "params": {"user_id": 1}}).values()
    assert message.startswith("'banChatMember' is not supported: use one of sendMessage,")
    assert "sendDice" in message and "copyMessage" in message


def test_a_missing_required_parameter_is_named():
    assert problems({"method": "sendLocation", "params": {"latitude": 1.5}}) == {
        "settings.params.longitude": "is required"
    }
    assert problems({"method": "copyMessage", "params": {"from_chat_id": "@news"}}) == {
        "settings.params.message_id": "is required"
    }


@pytest.mark.parametrize("name", ["chat_id", "allow_paid_broadcast", "business_connection_id"])
def test_the_services_own_parameters_are_refused(name):
    settings = {"method": "sendDice", "params": {name: 5}}
    assert problems(settings) == {f"settings.params.{name}": "is set by the service"}


def test_replies_and_unknown_parameters_are_refused():
    params = {"text": "Hi", "reply_parameters": {"message_id": 1}, "colour": "red"}
    assert problems({"method": "sendMessage", "params": params}) == {
        "settings.params.reply_parameters": "may not be used by a campaign",
        "settings.params.colour": "is not a parameter of sendMessage",
    }


def test_unknown_variables_are_refused_wherever_they_are():
    params = {
        "latitude": 1,
        "longitude": 2,
        "title": "For {nickname}",
        "address": "{attributes.city}",
        "reply_markup": {"inline_keyboard": [[{"text": "Go {first_name}", "url": "https://x.io/{shoe}"}]]},
    }  # fmt: skip
    found = problems({"method": "sendVenue", "params": params})
    assert set(found) == {
        "settings.params.title",
        "settings.params.reply_markup.inline_keyboard[0][0].url",
    }
    assert found["settings.params.title"].startswith("unknown variables {nickname}; use ")


def test_bad_types_are_named_with_pydantics_words():
    params = {"latitude": "north", "longitude": 2, "live_period": [60]}
    assert problems({"method": "sendLocation", "params": params}) == {
        "settings.params.latitude": "Input should be a valid number, unable to parse string as a number",
        "settings.params.live_period": "Input should be a valid integer",
    }  # fmt: skip
    assert problems({"method": "sendDice", "params": {"emoji": "🐉"}}) == {
        "settings.params.emoji": "is one of 🎲 🎯 🏀 ⚽ 🎳 🎰"
    }
    assert problems({"method": "sendMessage", "params": {"text": "x", "parse_mode": "html"}}) == {
        "settings.params.parse_mode": "is one of HTML, MarkdownV2, Markdown"
    }


def test_a_variable_may_stand_for_a_number():
    params = {"latitude": "{attributes.lat}", "longitude": "{attributes.lon|13.4}"}
    assert settings_for("custom", {"method": "sendLocation", "params": params})


def test_buttons_open_urls_or_count_clicks_and_nothing_else():
    def markup(*buttons: dict[str, Any]) -> dict[str, Any]:
        return {"method": "sendDice", "params": {"reply_markup": {"inline_keyboard": [list(buttons)]}}}  # fmt: skip

    assert settings_for("custom", markup({"text": "Shop", "url": "https://x.io"}, {"text": "Me!"}))
    for refused in ({"text": "x", "callback_data": "cb:1:0"}, {"text": "x", "url": "javascript:1"},
                    {"text": "x", "web_app": {"url": "https://x.io"}}):  # fmt: skip
        (field,) = problems(markup(refused))
        assert field == "settings.params.reply_markup"


def test_text_limits_and_entities_that_would_not_fit_a_personalised_text():
    assert problems(
        {"method": "sendPhoto", "params": {"photo": "AgAD", "caption": "x" * 1025}}
    ) == {"settings.params.caption": "is at most 1024 characters"}
    entities = [{"type": "bold", "offset": 0, "length": 2}]
    params = {"text": "Hi {first_name}", "entities": entities}
    assert problems({"method": "sendMessage", "params": params}) == {
        "settings.params.entities": "cannot be used with a personalised text: use parse_mode"
    }


def test_without_a_method_a_custom_campaign_sends_its_messages_and_takes_no_params():
    assert settings_for("custom", None) == {"params": {}}
    assert problems({"params": {"text": "Hi"}}) == {"settings": "params need a method"}


# Through REST ------------------------------------------------------------------------------


async def test_rest_answers_400_naming_each_bad_parameter(api, auth):
    settings = {"method": "sendVenue", "params": {"chat_id": 1, "latitude": 1, "title": "{x}"}}
    body = {"name": "Venue", "type": "custom", "settings": settings}
    response = await api.post(URL, json=body, headers=auth)
    assert response.status == 400
    error = (await response.json())["error"]
    assert error["code"] == "VALIDATION_ERROR"
    found = {d["field"]: d["message"] for d in error["details"]}
    assert found.pop("settings.params.title").startswith("unknown variables {x}")
    assert found == {
        "settings.params.chat_id": "is set by the service",
        "settings.params.longitude": "is required",
        "settings.params.address": "is required",
    }


async def test_rest_stores_and_renders_a_valid_call_and_checks_an_update(api, auth):
    settings = {"method": "sendDice", "params": {"emoji": "🎯"}}
    response = await api.post(URL, json={"name": "Darts", "type": "custom", "settings": settings},
                              headers=auth)  # fmt: skip
    assert response.status == 201, await response.text()
    campaign_id = (await response.json())["data"]["id"]
    shown = await (await api.get(f"{URL}/{campaign_id}", headers=auth)).json()
    assert shown["data"]["settings"] == settings
    patched = await api.patch(f"{URL}/{campaign_id}", headers=auth,
                              json={"settings": {"method": "sendMessage", "params": {}}})  # fmt: skip
    assert patched.status == 400
    (detail,) = (await patched.json())["error"]["details"]
    assert detail["field"] == "settings.params.text"
