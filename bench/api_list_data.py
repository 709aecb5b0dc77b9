"""The campaigns bench/api_list.py seeds: word tables and realistic, reproducible rows."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

STATUSES = (
    ("completed", 40),
    ("draft", 18),
    ("cancelled", 12),
    ("active", 12),
    ("paused", 6),
    ("scheduled", 7),
    ("failed", 5),
)
TYPES = (
    ("message", 45),
    ("engagement", 20),
    ("invitation", 15),
    ("data_collection", 10),
    ("custom", 10),
)
ADJECTIVES = (
    "Spring",
    "Summer",
    "Autumn",
    "Winter",
    "Holiday",
    "Weekend",
    "Flash",
    "Mega",
    "VIP",
    "Loyalty",
    "Welcome",
    "Reactivation",
    "Black Friday",
    "Cyber Monday",
    "New Year",
    "Back to School",
    "Early Bird",
    "Last Chance",
    "Exclusive",
    "Members",
)
NOUNS = (
    "Sale",
    "Promo",
    "Newsletter",
    "Giveaway",
    "Survey",
    "Webinar",
    "Launch",
    "Digest",
    "Reminder",
    "Offer",
    "Quiz",
    "Invite",
    "Update",
    "Contest",
    "Announcement",
)
REGIONS = ("EU", "US", "APAC", "LATAM", "MENA", "UK", "DACH")
# Words that occur in some names (5-7 % of rows each); the search kind picks one at random.
SEARCH_WORDS = ("flash", "webinar", "loyalty", "apac", "giveaway", "black friday")
SENTENCES = (
    "Drive repeat purchases among customers who bought in the last {n} days.",
    "Announce the {noun} to {region} subscribers with a personalised greeting.",
    "Re-engage users who have not opened the bot for {n} days.",
    "Collect feedback about the latest {noun} and reward answers with a coupon.",
    "A/B test two headlines; the winner goes to the remaining audience.",
    "Invite the most active members to the private {noun} channel.",
    "Remind cart abandoners about items left in the basket, {n}% discount included.",
    "Quarterly digest with product news, tips and a short survey.",
    "Seasonal campaign for {region}; send in the morning of the local time zone.",
    "Cross-sell accessories to buyers of the {adj} collection.",
    "Warm-up sequence for new subscribers, step {n} of the onboarding flow.",
    "Limited stock: notify waitlisted users as soon as the {noun} goes live.",
)
TIMEZONES = ("Europe/Berlin", "Europe/London", "America/New_York", "Asia/Singapore", None)


def _expand(table: tuple[tuple[str, int], ...]) -> list[str]:
    """A list in which each value appears `weight` times: uniform picks follow the weights."""
    return [value for value, weight in table for _ in range(weight)]


def _pools(rng: random.Random) -> dict[str, list[Any]]:
    """Pre-built JSON/text values rows pick from (keeps generation of 100k rows ~1-2 s)."""
    descriptions: list[str | None] = [None] * 100
    for _ in range(900):
        adj, noun, region = rng.choice(ADJECTIVES), rng.choice(NOUNS), rng.choice(REGIONS)
        descriptions.append(
            " ".join(
                s.format(n=rng.randint(2, 90), noun=noun.lower(), region=region, adj=adj)
                for s in rng.sample(SENTENCES, rng.randint(1, 3))
            )
        )
    message_sets = []
    for k in range(500):
        adj, noun = rng.choice(ADJECTIVES), rng.choice(NOUNS)
        messages = []
        for m in range(rng.randint(1, 3)):
            message: dict[str, Any] = {
                "id": f"m{m + 1}",
                "content": f"Hi {{first_name}}! {adj} {noun.lower()}: up to "
                f"{rng.randint(5, 70)}% off this week only.",
                "parseMode": "HTML",
                "buttons": [[{"text": "Open", "url": f"https://shop.example.com/c/{k}/{m}"}]],
                "variations": [],
            }
            if rng.random() < 0.2:
                message["variations"] = [
                    {"id": "a", "content": f"Variant A {noun}", "weight": 50.0},
                    {"id": "b", "content": f"Variant B {noun}", "weight": 50.0},
                ]
            messages.append(message)
        message_sets.append(messages)
    goals: list[dict[str, Any] | None] = [None] * 80
    goals += [
        {
            "targetAudience": rng.randint(100, 50_000),
            "conversionRate": round(rng.uniform(0.5, 9), 2),
        }
        for _ in range(120)
    ]
    audiences: list[dict[str, Any] | None] = [None] * 60
    audiences += [
        {
            "segments": [f"seg_{rng.randint(1, 40)}" for _ in range(rng.randint(1, 3))],
            "filters": {"languageCode": rng.choice(["en", "de", "ru", "es"])},
        }
        for _ in range(140)
    ]
    strategy = {"messaging": "friendly", "timing": "morning", "channels": ["telegram"]}
    return {
        "descriptions": descriptions,
        "messages": message_sets,
        "goals": goals,
        "audiences": audiences,
        "strategies": [None, strategy],
        "statuses": _expand(STATUSES),
        "types": _expand(TYPES),
    }


def campaign_rows(tenant_id: int, n: int, seed: int, now: datetime) -> list[dict[str, Any]]:
    """n realistic campaign rows; created_at ascends with the (future) id."""
    rng = random.Random(seed)
    pools = _pools(rng)
    pick = rng.choice
    r = rng.random
    year = 365 * 24 * 3600.0
    ages = sorted((r() * year for _ in range(n)), reverse=True)
    live_statuses = {"active", "paused", "completed", "failed", "cancelled"}
    creators = ("api:key_1", "admin:111", "admin:222")
    rows = []
    for i, age in enumerate(ages):
        created = now - timedelta(seconds=age)
        updated = min(now, created + timedelta(seconds=rng.expovariate(1 / (3 * 86400))))
        adj, noun, region = pick(ADJECTIVES), pick(NOUNS), pick(REGIONS)
        roll = r()
        suffix = f" ({region})" if roll < 0.4 else f" #{i + 1}" if roll < 0.7 else ""
        status = pick(pools["statuses"])
        live = status in live_statuses
        start = created + timedelta(days=int(r() * 10)) if r() < 0.6 else None
        target = 100 + int(r() * 50_000)
        sent = int(target * (0.5 + r() / 2)) if live else 0
        rows.append(
            {
                "tenant_id": tenant_id,
                "name": f"{adj} {noun} {created.year}{suffix}",
                "description": pick(pools["descriptions"]),
                "type": pick(pools["types"]),
                "status": status,
                "goals": pick(pools["goals"]),
                "target_audience": pick(pools["audiences"]),
                "strategy": pick(pools["strategies"]),
                "messages": pick(pools["messages"]),
                "workflow": None,
                "budget": round(100 + r() * 50_000, 2) if r() < 0.7 else None,
                "start_date": start,
                "end_date": start + timedelta(days=1 + int(r() * 30)) if start else None,
                "scheduled_at": start if status == "scheduled" else None,
                "timezone": pick(TIMEZONES),
                "allow_paid_broadcast": r() < 0.1,
                "created_by": pick(creators),
                "created_at": created,
                "updated_at": updated,
                "target_count": target,
                "sent_count": sent,
                "failed_count": int(sent * r() * 0.05),
                "clicked_count": int(sent * r() * 0.2),
                "converted_count": int(sent * r() * 0.05),
                "revenue": round(sent * r() * 2, 2),
                "cost": round(sent * 0.001, 3),
                "executions_total": 1 if live else 0,
                "executions_completed": 1 if status == "completed" else 0,
                "executions_failed": 1 if status == "failed" else 0,
            }
        )
    return rows
