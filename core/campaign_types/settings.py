"""A campaign's `settings`, checked against its type's settings model."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from core.campaign_types.registry import policy_for
from core.errors import ValidationFailed
from core.field_errors import validation_details
from core.models import CampaignType


def _under_settings(field: str) -> str:
    """A settings model's error path as a request field ("body" is the settings themselves)."""
    if field == "body":
        return "settings"
    return f"settings{field}" if field.startswith("[") else f"settings.{field}"


def settings_for(type_: CampaignType | str, raw: dict[str, Any] | None) -> dict[str, Any] | None:
    """The settings of a campaign of `type_`, validated and stored camelCase; ValidationFailed
    naming each bad `settings.<field>` (a type without a settings model takes none)."""
    policy = policy_for(type_)
    model = policy.settings_model
    if model is None:
        if raw:
            raise ValidationFailed(
                f"A {policy.name} campaign takes no settings.",
                details=[
                    {
                        "field": "settings",
                        "message": f"not used by the {CampaignType(type_).value} type",
                        "type": "settings_not_supported",
                    }
                ],
            )
        return None
    try:
        parsed = model.model_validate(raw or {})
    except ValidationError as exc:
        details = [
            {**detail, "field": _under_settings(detail["field"])}
            for detail in validation_details(exc)
        ]
        fields = ", ".join(sorted({d["field"] for d in details}))
        raise ValidationFailed(
            f"Invalid settings for a {CampaignType(type_).value} campaign: {fields}.",
            details=details,
        ) from None
    return parsed.model_dump(mode="json", by_alias=True, exclude_none=True)
