"""A campaign's `settings`, checked against its type's settings model."""

from __future__ import annotations

from types import UnionType
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from core.campaign_types.registry import policy_for
from core.errors import ValidationFailed
from core.field_errors import validation_details
from core.models import CampaignType


def _is_union(annotation: Any) -> bool:
    """Whether pydantic tags a field's errors with a branch name (`int`, `constrained-str`)."""
    if get_origin(annotation) not in (Union, UnionType):
        return False
    return len([arg for arg in get_args(annotation) if arg is not type(None)]) > 1


def _under_settings(model: type[BaseModel], loc: tuple[Any, ...]) -> str:
    """A settings model's error location as a request field, `settings.<alias>[i]...`
    without the union branch names pydantic puts after a union field's name."""
    parts = list(loc)
    if len(parts) > 1:
        fields = {info.alias or name: info for name, info in model.model_fields.items()}
        field = fields.get(parts[0])
        if field is not None and _is_union(field.annotation):
            del parts[1]
    path = "settings"
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


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
            {**detail, "field": _under_settings(model, error["loc"])}
            for detail, error in zip(
                validation_details(exc), exc.errors(include_url=False), strict=True
            )
        ]
        fields = ", ".join(sorted({d["field"] for d in details}))
        raise ValidationFailed(
            f"Invalid settings for a {CampaignType(type_).value} campaign: {fields}.",
            details=details,
        ) from None
    return parsed.model_dump(mode="json", by_alias=True, exclude_none=True)
