"""The v2 Campaign API's rules for a new campaign: the document's table, word for word, then
this service's own in the same style; what the stored message holds.

Every message text of v2-campaign-api.md's rule table is reproduced exactly (the constants
below).
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import TypeAdapter, ValidationError

from core.campaign_types.bot_api import METHODS, description_problem
from core.context import Actor
from core.errors import ValidationFailed
from core.ids import DIGITS, try_parse_id
from core.models import Name
from core.positional import variable_count
from core.uow import UnitOfWork
from core.validation_time import parse_instant
from storage.models_scheduling import Template
from storage.repositories.templates import TemplateRepository

# The rule table of v2-campaign-api.md, word for word.
AT_LEAST_TWO_CLIENTS = "invalid request: at least 2 clients required"
TEMPLATE_NOT_FOUND = "invalid request: template not found"
JSON_OR_TEMPLATE = "invalid request: JSON or TempMsgID required"
NOT_ENOUGH_PARAMS = "invalid request: not enough params for variables in JSON"
EACH_CLIENT_PARAMS = "invalid request: each client must have params for all template variables"
ONLY_SCHEDULED = "only scheduled campaigns can be updated (name and SendAt fields only)"
# This service's own.
NAME_REQUIRED = "invalid request: name is required"
NAME_TOO_LONG = "invalid request: name is at most 200 characters"
NAME_CONTROL = "invalid request: name must not contain control characters (line breaks, tabs…)"
JSON_NOT_JSON = "invalid request: JSON is not valid JSON"
SEND_AT_FORMAT = (
    "invalid request: SendAt must be an ISO 8601 time with a zone, e.g. 2025-03-03T14:32:25+03:00"
)
SEND_AT_PAST = "invalid request: SendAt is in the past"
CAMPAIGN_NOT_FOUND = "campaign not found"
MESSAGE_NOT_FOUND = "message not found"
MESSAGE_KEY_REQUIRED = "invalid request: messageKey is required"
ALREADY_RESENT = "message was already resent once"
RESULT_SIZE = "invalid request: resultSize must be a positive integer"
CAMPAIGN_ID = "invalid request: campaignID must be a positive integer"
MAX_NAME = 200


def invalid(message: str) -> ValidationFailed:
    """A 400 whose message is exactly `message`."""
    return ValidationFailed(message, code="INVALID_REQUEST")


@dataclass(frozen=True)
class Client:
    """One `Clients[]` entry."""

    account_id: str
    params: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class NewCampaign:
    """CreateCampaignRequest, Go zero values for what was not sent."""

    name: str = ""
    message: str = ""
    clients: list[Client] = field(default_factory=list)
    json: str = ""
    temp_msg_id: str = ""
    send_at: str = ""


def parse_send_at(raw: str, now: datetime) -> datetime | None:
    """SendAt as an aware time in the future, by core's instant rule (zone and range);
    None when not given."""
    if not raw.strip():
        return None
    try:
        at = parse_instant(raw.strip())
    except ValueError:
        raise invalid(SEND_AT_FORMAT) from None
    if at <= now:
        raise invalid(SEND_AT_PAST)
    return at


NAME_RULE: TypeAdapter[str] = TypeAdapter(Name)


def checked_name(raw: str) -> str:
    """A campaign name by core's rule (1-200 characters, no control characters), stripped."""
    name = raw.strip()
    if not name:
        raise invalid(NAME_REQUIRED)
    if len(name) > MAX_NAME:
        raise invalid(NAME_TOO_LONG)
    try:
        return NAME_RULE.validate_python(name)
    except ValidationError:
        raise invalid(NAME_CONTROL) from None


def _description(raw: str) -> dict[str, Any]:
    try:
        value = json.loads(raw)
    except ValueError:
        raise invalid(JSON_NOT_JSON) from None
    if not isinstance(value, dict):
        raise invalid(f"invalid request: {description_problem(value, None)}")
    return value


def _from_template(template: Template) -> dict[str, Any]:
    """A template without JSON as a call: its media (as v1 sends it) or a text message."""
    media = template.media or {}
    method = f"send{str(media.get('type', '')).capitalize()}"
    if method in METHODS and METHODS[method].media_field:
        call: dict[str, Any] = {"method": method}
        call[str(METHODS[method].media_field)] = media.get("url") or media.get("fileId") or ""
    else:
        call = {"method": "sendMessage"}
    if template.parse_mode:
        call["parse_mode"] = template.parse_mode
    return call


async def _template(uow: UnitOfWork, tenant_id: int, ref: str) -> Template | None:
    ref = ref.strip()
    # ASCII digits only, at most 18 (str.isdigit takes '²'; int() refuses 5,000 digits).
    template_id = int(ref) if DIGITS.fullmatch(ref) else try_parse_id("template", ref)
    if template_id is None:
        return None
    return await TemplateRepository(uow.session).get(tenant_id, template_id)


def _template_json(template: Template | None) -> str:
    return json.dumps(template.json) if template is not None and template.json else ""


async def check_new(
    uow: UnitOfWork, actor: Actor, data: NewCampaign
) -> tuple[Template | None, dict[str, Any], str]:
    """The table's rules in its order, then this service's; (template, call, BODY)."""
    if len(data.clients) < 2:
        raise invalid(AT_LEAST_TWO_CLIENTS)
    template = None
    if data.temp_msg_id.strip():
        template = await _template(uow, actor.tenant_id, data.temp_msg_id)
        if template is None:
            raise invalid(TEMPLATE_NOT_FOUND)
    if not data.json.strip() and template is None:
        raise invalid(JSON_OR_TEMPLATE)
    raw_json = data.json if data.json.strip() else _template_json(template)
    if len(data.clients[0].params) < variable_count(raw_json):
        raise invalid(NOT_ENOUGH_PARAMS)
    if template is not None:
        needed = variable_count(template.content, _template_json(template))
        if any(len(client.params) < needed for client in data.clients):
            raise invalid(EACH_CLIENT_PARAMS)
    checked_name(data.name)
    if raw_json:
        call = _description(raw_json)
    else:
        assert template is not None  # JSON_OR_TEMPLATE above
        call = _from_template(template)
    body = data.message if data.message.strip() else (template.content if template else None)
    problem = description_problem(call, body)
    if problem:
        raise invalid(f"invalid request: {problem}")
    return template, call, body or ""


def stored_message(
    call: dict[str, Any], body: str, template: Template | None, params: dict[str, list[str]]
) -> dict[str, Any]:
    """messages[0]: the call and everyone's params, plus content/media as v1 readers see it."""
    method = METHODS[call["method"]]
    text = call.get(method.text_field, body)
    message: dict[str, Any] = {
        "content": text or None, "body": body, "botApi": call, "params": params,
    }  # fmt: skip
    media = call.get(method.media_field) if method.media_field else None
    if isinstance(media, str) and media:
        kind = method.media_field
        message["media"] = {"type": kind, "url" if "://" in media else "fileId": media}
    if call.get("parse_mode"):
        message["parseMode"] = call["parse_mode"]
    if template is not None:
        message["templateId"] = f"tmpl_{template.id}"
    return message


def new_key() -> str:
    """A MessageKey: 30 upper-case hex digits."""
    return secrets.token_hex(15).upper()
