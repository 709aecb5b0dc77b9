"""A schedule's targetAudience (all, segment, dynamic, individual) as an audience spec."""

from __future__ import annotations

from typing import Any

from core.audience import build_spec
from core.errors import ValidationFailed
from core.ids import try_parse_id
from core.rules import parse_duration, parse_filters
from core.scheduling.inputs import TargetSpec
from core.uow import UnitOfWork
from storage.audience import AudienceSpec, Condition, Group
from storage.repositories.subscribers import SubscriberRepository

PATH = "targetAudience"


def _bad(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, details=[{"field": f"{PATH}.{field}", "message": message}])


async def resolve_user_ids(uow: UnitOfWork, tenant_id: int, refs: list[str | int]) -> list[int]:
    """Subscriber ids from `sub_…` ids or Telegram user ids (both accepted)."""
    ids: set[int] = set()
    telegram: list[int] = []
    for index, ref in enumerate(refs):
        sub_id = try_parse_id("subscriber", ref) if isinstance(ref, str) else None
        if sub_id is not None:
            ids.add(sub_id)
        elif isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit()):
            telegram.append(int(ref))
        else:
            raise _bad(f"userIds[{index}]", f"'{ref}' is neither a sub_ id nor a Telegram id")
    repo = SubscriberRepository(uow.session)
    ids = await repo.existing_ids(tenant_id, sorted(ids)) if ids else set()
    return sorted(ids | await repo.ids_for_telegram_ids(tenant_id, telegram))


def _dynamic(criteria: dict[str, Any], uow: UnitOfWork) -> Group:
    rest = dict(criteria)
    parts: list[Condition | Group] = []
    if rest.pop("newUsers", False):
        try:
            window = parse_duration(str(rest.pop("within", "24h")))
        except ValueError as exc:
            raise _bad("dynamicCriteria.within", str(exc)) from None
        parts.append(Condition("createdAt", "within", uow.clock() - window))
    rest.pop("within", None)
    if rest:
        parts.append(parse_filters(rest, uow.clock(), f"{PATH}.dynamicCriteria"))
    return Group("all", tuple(parts) or (Condition("status", "eq", "active"),))


async def schedule_spec(
    uow: UnitOfWork,
    tenant_id: int,
    target: TargetSpec | None,
    campaign_target: dict[str, Any] | None,
) -> AudienceSpec:
    """The audience of one run; without a targetAudience the campaign's own is used."""
    if target is None:
        return await build_spec(uow, tenant_id, campaign_target)
    if target.type == "all":
        return AudienceSpec(tenant_id=tenant_id)
    if target.type == "segment":
        if not target.segment_id:
            raise _bad("segmentId", "a segment audience needs segmentId")
        return await build_spec(uow, tenant_id, {"segments": [target.segment_id]}, path=PATH)
    if target.type == "dynamic":
        return AudienceSpec(
            tenant_id=tenant_id, filters=_dynamic(target.dynamic_criteria or {}, uow)
        )
    ids = await resolve_user_ids(uow, tenant_id, target.user_ids or [])
    if not ids:
        raise _bad("userIds", "none of these users is a subscriber")
    return AudienceSpec(tenant_id=tenant_id, subscriber_ids=tuple(ids))
