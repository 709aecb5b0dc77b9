"""Resolve a campaign's targetAudience into a database-side audience spec and count it."""

from __future__ import annotations

from typing import Any

from core.errors import ValidationFailed
from core.ids import try_parse_id
from core.rules import RuleParser, parse_filters
from core.uow import UnitOfWork
from storage.audience import AudienceSpec, Group
from storage.models import Segment
from storage.repositories.segments import SegmentRepository
from storage.repositories.subscribers import SubscriberRepository


def segment_rules(segment: Segment, uow: UnitOfWork) -> Group | None:
    """A dynamic segment's stored rules as a rule tree (stored rules were validated on save)."""
    if segment.kind != "dynamic" or not segment.rules:
        return None
    return RuleParser(uow.clock(), "rules").parse(segment.rules)


async def build_spec(
    uow: UnitOfWork,
    tenant_id: int,
    target_audience: dict[str, Any] | None,
    *,
    path: str = "targetAudience",
    strict: bool = True,
) -> AudienceSpec:
    """The AudienceSpec for a targetAudience; unknown segments or bad filters raise 400s.

    With `strict=False` segments deleted since the campaign was saved are simply left out
    (for showing a size); sending always resolves strictly.
    """
    target = target_audience or {}
    segment_refs: list[str] = list(target.get("segments") or [])
    problems: list[dict[str, Any]] = []
    ids: list[int] = []
    for index, ref in enumerate(segment_refs):
        segment_id = try_parse_id("segment", ref)
        if segment_id is None:
            problems.append(
                {"field": f"{path}.segments[{index}]", "message": f"no segment '{ref}'"}
            )
        else:
            ids.append(segment_id)
    segments = await SegmentRepository(uow.session).get_many(tenant_id, ids) if ids else []
    found = {segment.id for segment in segments}
    for index, ref in enumerate(segment_refs):
        segment_id = try_parse_id("segment", ref)
        if segment_id is not None and segment_id not in found:
            problems.append(
                {"field": f"{path}.segments[{index}]", "message": f"no segment '{ref}'"}
            )
    if problems and strict:
        raise ValidationFailed(
            "The target audience names unknown segments.",
            details=problems,
            code="SEGMENT_NOT_FOUND",
        )
    filters = target.get("filters")
    group = parse_filters(filters, uow.clock(), f"{path}.filters") if filters else None
    return AudienceSpec(
        tenant_id=tenant_id,
        segments=tuple((s.id, s.kind, segment_rules(s, uow)) for s in segments),
        filters=group,
    )


async def count_audience(uow: UnitOfWork, spec: AudienceSpec) -> int:
    """How many active subscribers the spec reaches right now."""
    return await SubscriberRepository(uow.session).count_audience(spec)
