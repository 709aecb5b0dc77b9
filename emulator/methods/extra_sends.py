"""sendDice, sendLocation, sendVenue and sendContact."""

from __future__ import annotations

from typing import Any

from emulator.errors import bad_request
from emulator.methods.context import Call
from emulator.methods.delivery import admit, finish_outgoing, new_message, resolve_target
from emulator.validation import reply_markup
from emulator.world import Target

# Highest value each dice emoji can show (all start at 1).
DICE_FACES = {"🎲": 6, "🎯": 6, "🎳": 6, "🏀": 5, "⚽": 5, "🎰": 64}


def _send(call: Call, target: Target, kind: str, content: dict[str, Any]) -> dict[str, Any]:
    """Shared tail: markup, flood limits, message construction and recording."""
    markup = reply_markup(call.params, call.state.config)
    admit(call, target, paid=call.params.boolean("allow_paid_broadcast"))
    message = new_message(call, target)
    message[kind] = content
    finish_outgoing(call, target, message, markup, media_kind=kind, media=content)
    return message


def _coordinate(call: Call, name: str, bound: float) -> float:
    """A required latitude/longitude within ±bound."""
    value = call.params.number(name)
    if value is None:
        raise bad_request(f"{name} is empty")
    if not -bound <= value <= bound:
        raise bad_request(f"wrong {name} specified")
    return value


def _required_text(call: Call, name: str) -> str:
    """A mandatory non-blank string parameter."""
    value = call.params.text(name)
    if not value or not value.strip():
        raise bad_request(f"{name} is empty")
    return value


def send_dice(call: Call) -> dict[str, Any]:
    """sendDice: an animated emoji with a random value."""
    target = resolve_target(call)
    emoji = call.params.text("emoji") or "🎲"
    faces = DICE_FACES.get(emoji)
    if faces is None:
        raise bad_request("invalid dice emoji specified")
    return _send(call, target, "dice", {"emoji": emoji, "value": call.state.rng.randint(1, faces)})


def _location(call: Call) -> dict[str, Any]:
    """The Location object of sendLocation/sendVenue."""
    location: dict[str, Any] = {
        "latitude": _coordinate(call, "latitude", 90),
        "longitude": _coordinate(call, "longitude", 180),
    }
    accuracy = call.params.number("horizontal_accuracy")
    if accuracy is not None:
        if not 0 <= accuracy <= 1500:
            raise bad_request("wrong horizontal accuracy specified")
        location["horizontal_accuracy"] = accuracy
    for name in ("live_period", "heading", "proximity_alert_radius"):
        value = call.params.integer(name)
        if value is not None:
            location[name] = value
    return location


def send_location(call: Call) -> dict[str, Any]:
    """sendLocation: a point on the map (live locations are not animated)."""
    target = resolve_target(call)
    return _send(call, target, "location", _location(call))


def send_venue(call: Call) -> dict[str, Any]:
    """sendVenue: a location with a title and an address."""
    target = resolve_target(call)
    location = _location(call)
    venue: dict[str, Any] = {
        "location": {k: location[k] for k in ("latitude", "longitude")},
        "title": _required_text(call, "title"),
        "address": _required_text(call, "address"),
    }
    for name in ("foursquare_id", "foursquare_type", "google_place_id", "google_place_type"):
        value = call.params.text(name)
        if value:
            venue[name] = value
    message = _send(call, target, "venue", venue)
    message["location"] = venue["location"]  # Telegram fills both fields for venues
    return message


def send_contact(call: Call) -> dict[str, Any]:
    """sendContact: a phone contact card."""
    target = resolve_target(call)
    contact: dict[str, Any] = {
        "phone_number": _required_text(call, "phone_number"),
        "first_name": _required_text(call, "first_name"),
    }
    for name in ("last_name", "vcard"):
        value = call.params.text(name)
        if value:
            contact[name] = value
    return _send(call, target, "contact", contact)
