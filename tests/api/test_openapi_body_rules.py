"""The rules the document adds to the models' schemas (api.openapi_rules, core.validation)
call valid exactly what the server accepts, on the edge cases of each rule."""

from __future__ import annotations

from typing import Any

import jsonschema_rs
import pytest
from pydantic import BaseModel, ValidationError

from api.app import ROUTERS, VERSION
from api.openapi import build_openapi
from core.ids import try_parse_id
from core.models import Button, Media, ScheduleRequest, TargetAudience
from core.scheduling.inputs import ScheduleCreate
from core.segments import SegmentInput
from core.subscribers import SubscriberInput

DOCUMENT = build_openapi([spec for router in ROUTERS for spec in router.specs], VERSION)
LONG = "a" * 64
CASES: list[tuple[type[BaseModel], dict[str, Any]]] = [
    *[
        (Media, {"type": "photo", **fields})
        for fields in (
            {"url": "https://a"},
            {"fileId": "x"},
            {"url": "https://a", "fileId": "x"},
            {},
            {"url": "", "fileId": "x"},
            {"url": "  ", "fileId": "x"},
            {"url": " https://a "},
            {"url": "ftp://a"},
            {"url": "HTTP://a"},
            {"url": "http://a", "fileId": None},
            {"fileId": " "},
        )
    ],
    *[
        (Button, {"text": "a", **fields})
        for fields in (
            {"url": "tg://x"},
            {"callbackData": "c"},
            {},
            {"url": "https://x", "callbackData": "c"},
            {"url": "mailto:x"},
        )
    ],
    *[
        (SubscriberInput, {"telegramId": 5, "tags": [tag]})
        for tag in ("a", "", "  ", " a ", LONG, LONG + "a", f" {LONG} ", "a b")
    ],
    *[
        (ScheduleRequest, {"scheduledAt": value})
        for value in (
            "1970-01-02T00:00:00Z",
            "1969-12-31T00:00:00Z",
            "9998-12-30T23:00:00-05:00",
            "9999-06-01T00:00:00Z",
            "2030-01-01T00:00:00+14:00",
        )
    ],
]


def documented(model: type[BaseModel], value: dict[str, Any]) -> bool:
    """Whether the document calls `value` a valid `model`."""
    root = {**DOCUMENT, "$ref": f"#/components/schemas/{model.__name__}"}
    return jsonschema_rs.Draft202012Validator(root).is_valid(value)


def accepted(model: type[BaseModel], value: dict[str, Any]) -> bool:
    """Whether the server's model takes `value`."""
    try:
        model.model_validate(value)
    except ValidationError:
        return False
    return True


@pytest.mark.parametrize(("model", "value"), CASES)
def test_the_document_and_the_model_agree(model: type[BaseModel], value: dict[str, Any]):
    assert documented(model, value) == accepted(model, value), (model.__name__, value)


@pytest.mark.parametrize(
    "ref", ["1", " 2 ", "0", "", "01", "1" * 18, "1" * 19, "x", "-1"], ids=repr
)
def test_documented_ids_are_the_ones_the_core_reads(ref: str):
    # The core refuses a malformed id in a body with a 400 (core.audience, core.segments).
    for prefix, kind, model, body in (
        ("sub", "subscriber", SegmentInput, lambda r: {"name": "s", "members": [r]}),
        ("seg", "segment", TargetAudience, lambda r: {"segments": [r]}),
        ("camp", "campaign", ScheduleCreate, lambda r: {"campaignId": r, "type": "one-time",
                                                        "schedule": {}}),
    ):  # fmt: skip
        value = f"{prefix}_{ref}" if ref.strip() == ref else f" {prefix}_{ref.strip()} "
        readable = try_parse_id(kind, value.strip()) is not None
        assert documented(model, body(value)) is readable, value
        assert documented(model, body(f"tmpl_{ref}")) is False


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ({"n": 2**63 - 1, "s": "ok", "l": [1.5, None, True]}, True),
        ({"n": 2**63}, False),
        ({"deep": {"n": -(2**63) - 1}}, False),
        ({"s": "a\x00b"}, False),
        ({"a\x00": 1}, False),
    ],
)
def test_free_form_values_are_documented_as_stored(value: dict[str, Any], valid: bool):
    body = {"name": "s", "type": "dynamic", "rules": value}
    assert documented(SegmentInput, body) is valid
