"""Campaign list rows rendered straight to JSON-ready data (the hot path of GET /campaigns)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from api.campaign_schemas import AB_STATE
from api.envelope import iso
from core.ids import format_id
from core.lifecycle import Status, allowed_actions

# allowedActions depends on the status alone; lists render it for every row.
ACTIONS = {status.value: allowed_actions(status.value) for status in Status}


def campaign_json(c: Mapping[str, Any]) -> dict[str, Any]:
    """`campaign_out` as JSON-ready data, straight from a list row (the hot path of lists).

    The keys, their order and the values are exactly those of
    CampaignOut.model_dump(mode="json", by_alias=True) for the same campaign.
    """
    audience = c["target_audience"] or {}
    messages = c["messages"] or []
    ab_status = AB_STATE.get(c["status"], "draft")
    budget = c["budget"]
    return {
        "id": format_id("campaign", c["id"]),
        "name": c["name"],
        "description": c["description"],
        "type": c["type"],
        "status": c["status"],
        "goals": c["goals"],
        "targetAudience": {
            "segments": audience.get("segments") or [],
            "filters": audience.get("filters"),
            "totalCount": c["target_count"],
        },
        "strategy": c["strategy"],
        "messages": messages,
        "workflow": c["workflow"],
        "abTests": [
            {"id": f"ab{i}", "name": f"Message {i} variations", "status": ab_status}
            for i, message in enumerate(messages, start=1)
            if message.get("variations")
        ],
        "budget": None if budget is None else float(budget),
        "startDate": iso(c["start_date"]),
        "endDate": iso(c["end_date"]),
        "scheduledAt": iso(c["scheduled_at"]),
        "timezone": c["timezone"],
        "allowPaidBroadcast": bool(c["allow_paid_broadcast"]),
        "statistics": {
            "totalTasks": c["executions_total"],
            "completedTasks": c["executions_completed"],
            "failedTasks": c["executions_failed"],
            "targetCount": c["target_count"],
            "messagesSent": c["sent_count"],
            "messagesFailed": c["failed_count"],
            "clicks": c["clicked_count"],
            "conversionsAchieved": c["converted_count"],
            "revenue": float(c["revenue"]),
            "totalCost": float(c["cost"]),
        },
        "allowedActions": ACTIONS[c["status"]],
        "createdBy": c["created_by"],
        "createdAt": iso(c["created_at"]),
        "updatedAt": iso(c["updated_at"]),
    }
