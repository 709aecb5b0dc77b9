"""Segments: static member lists or dynamic rules, counted by the database."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, model_validator

from core.audience import count_audience, segment_rules
from core.context import Actor
from core.errors import NotFoundError, ValidationFailed
from core.ids import parse_id, try_parse_id
from core.models import CamelModel
from core.rules import RuleParser
from core.uow import UnitOfWork
from core.validation import JsonObject, Line, Lowercase, Text, given, left_out
from storage.audience import AudienceSpec
from storage.models import Segment
from storage.repositories.paging import Page
from storage.repositories.segments import SegmentRepository

MAX_STATIC_MEMBERS = 100_000


class SegmentInput(CamelModel):
    """Body of segment create/update: rules make it dynamic, members make it static."""

    # The _kind rule below, said in the OpenAPI document.
    model_config = ConfigDict(
        json_schema_extra={
            "anyOf": [
                {
                    "allOf": [
                        given("rules"),
                        {
                            "anyOf": [
                                given("type", type={"const": "dynamic"}),
                                left_out("type", "members"),
                            ]
                        },
                    ]
                },
                {
                    "allOf": [
                        left_out("rules"),
                        {
                            "anyOf": [
                                given("type", type={"const": "static"}),
                                {"allOf": [left_out("type"), given("members")]},
                            ]
                        },
                    ]
                },
            ]
        }
    )

    name: Line = Field(min_length=1, max_length=200)
    description: Text | None = Field(default=None, max_length=2000)
    type: Lowercase[Literal["static", "dynamic"]] | None = None
    rules: JsonObject | None = None
    members: list[Annotated[Line, Field(max_length=64)]] | None = Field(
        default=None, max_length=MAX_STATIC_MEMBERS
    )

    @model_validator(mode="after")
    def _kind(self) -> SegmentInput:
        kind = self.type or ("static" if self.members is not None else "dynamic")
        if kind == "dynamic" and self.rules is None:
            raise ValueError("a dynamic segment needs rules")
        if kind == "static" and self.rules is not None:
            raise ValueError("a static segment has members, not rules")
        self.type = kind
        return self


async def _resolve_members(uow: UnitOfWork, tenant_id: int, refs: list[str]) -> list[int]:
    """Subscriber ids of `members`; malformed or unknown ones are a 400 listing them (another
    tenant's subscribers are simply unknown)."""
    ids: dict[int, int] = {}
    problems: list[dict[str, Any]] = []
    malformed = False
    for index, ref in enumerate(refs):
        sub_id = try_parse_id("subscriber", ref)
        if sub_id is None:
            problems.append({"field": f"members[{index}]", "message": f"'{ref}' is not a sub_ id"})
            malformed = True
        else:
            ids.setdefault(sub_id, index)
    known = await SegmentRepository(uow.session).known_subscribers(tenant_id, list(ids))
    problems += [
        {"field": f"members[{index}]", "message": f"unknown subscriber '{refs[index]}'"}
        for sub_id, index in ids.items()
        if sub_id not in known
    ]
    if problems:
        problems.sort(key=lambda p: int(p["field"][8:-1]))
        raise ValidationFailed(
            f"{len(problems)} members are not subscribers of this account.",
            details=problems[:100],
            code=None if malformed else "SUBSCRIBER_NOT_FOUND",
        )
    return list(ids)


async def save_segment(
    uow: UnitOfWork, actor: Actor, data: SegmentInput, segment: Segment | None = None
) -> Segment:
    """Create a segment, or replace an existing one's definition."""
    if data.rules is not None:
        RuleParser(uow.clock(), "rules").parse(data.rules)
    members = (
        await _resolve_members(uow, actor.tenant_id, data.members or [])
        if data.type == "static"
        else []
    )
    repo = SegmentRepository(uow.session)
    if segment is None:
        segment = await repo.add(
            Segment(tenant_id=actor.tenant_id, name=data.name, kind=data.type or "dynamic")
        )
    segment.name = data.name
    segment.description = data.description
    segment.kind = data.type or "dynamic"
    segment.rules = data.rules
    await uow.flush()
    if segment.kind == "static":
        await repo.set_members(segment.id, actor.tenant_id, members)
    return segment


async def get_segment(uow: UnitOfWork, actor: Actor, public_id: str) -> Segment:
    """The tenant's segment or SEGMENT_NOT_FOUND."""
    segment = await SegmentRepository(uow.session).get(
        actor.tenant_id, parse_id("segment", public_id)
    )
    if segment is None:
        raise NotFoundError("SEGMENT_NOT_FOUND", f"No segment with id '{public_id}'.")
    return segment


async def list_segments(uow: UnitOfWork, actor: Actor, *, page: int, limit: int) -> Page[Segment]:
    """One page of the tenant's segments."""
    return await SegmentRepository(uow.session).list(
        actor.tenant_id, offset=(page - 1) * limit, limit=limit
    )


async def delete_segment(uow: UnitOfWork, actor: Actor, public_id: str) -> None:
    """Remove a segment; campaigns that still name it are refused at execution."""
    segment = await get_segment(uow, actor, public_id)
    await SegmentRepository(uow.session).delete(segment)


async def segment_size(uow: UnitOfWork, segment: Segment) -> int:
    """Active subscribers in the segment now."""
    spec = AudienceSpec(
        tenant_id=segment.tenant_id,
        segments=((segment.id, segment.kind, segment_rules(segment, uow)),),
    )
    return await count_audience(uow, spec)
