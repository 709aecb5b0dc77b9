"""Prize draws among a contest's eligible participants, reproducible from their seed.

The algorithm (in full in docs/campaign-types/engagement.md): the eligible ids ranked by
sha256(f"{seed}:{id}"), the smallest win; the seed mixes a server seed drawn at draw time
with the caller's, so nobody can know the winners before the draw.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from pydantic import ValidationError

from core.campaign_types.engagement import EngagementMode, parse_settings
from core.campaigns import record
from core.context import Actor
from core.errors import ConflictError, ValidationFailed
from core.models import CampaignType
from core.templating import render, uses_variables, values_for
from core.uow import UnitOfWork
from storage.models import Campaign, Subscriber
from storage.models_types import Draw
from storage.repositories.contest_draws import ContestDrawRepository

log = logging.getLogger(__name__)
# The domain event (and audit row) of a draw: its eligibility rule lives in the audit row.
WINNERS_DRAWN = "contest.winners_drawn"
MAX_WINNERS = 1000
MAX_NOTIFIED = 100  # winners told inline by one request, at the reply pace
DEFAULT_NOTICE = "Congratulations, {first_name|there}! You are a winner of the draw: {campaign}."


class Eligibility(StrEnum):
    """Who may win."""

    PARTICIPANTS = "participants"  # an answer (quiz) or an entry (challenge)
    ALL_CORRECT = "all_correct"  # quiz: every question answered correctly


@dataclass(frozen=True)
class Winner:
    """A drawn subscriber."""

    subscriber_id: int
    telegram_id: int | None
    name: str | None
    username: str | None


@dataclass(frozen=True)
class DrawRecord:
    """A stored draw as callers see it."""

    id: int
    seed: str
    eligibility: Eligibility | None  # None: its audit row is gone
    requested: int
    eligible: int
    winners: list[Winner]
    drawn_by: str | None
    drawn_at: datetime
    notified_at: datetime | None
    notified: int | None = None  # winners told by this request (None: not asked to)
    not_notified: int | None = None
    client_seed: str | None = None  # the caller's part of the seed
    server_seed: str | None = None  # the server's part (None: its audit row is gone)
    eligible_digest: str | None = None  # eligible_digest() of the eligible ids
    draw_key: str | None = None
    exclude_previous_winners: bool = False
    replayed: bool = False  # an earlier draw with the same draw key, not drawn again


def eligible_digest(eligible: Sequence[int]) -> str:
    """The hex SHA-256 of the eligible ids, deduplicated, ascending, joined by ","."""
    return hashlib.sha256(",".join(map(str, sorted(set(eligible)))).encode()).hexdigest()


def mix_seed(server_seed: str, client_seed: str | None) -> str:
    """The draw's seed: the server seed alone, or the hex SHA-256 of "server:client"."""
    if client_seed is None:
        return server_seed
    return hashlib.sha256(f"{server_seed}:{client_seed}".encode()).hexdigest()


def _rank(seed: str, subscriber_id: int) -> str:
    return hashlib.sha256(f"{seed}:{subscriber_id}".encode()).hexdigest()


def pick_winners(eligible: Sequence[int], winners: int, seed: str) -> list[int]:
    """The draw itself: the `winners` eligible ids (all if fewer) whose sha256(f"{seed}:{id}")
    is smallest, in that order."""
    return sorted(set(eligible), key=lambda i: _rank(seed, i))[:winners]


async def draw(
    uow: UnitOfWork,
    actor: Actor,
    campaign: Campaign,
    winners: int,
    eligibility: Eligibility = Eligibility.PARTICIPANTS,
    seed: str | None = None,
    *,
    draw_key: str | None = None,
    exclude_previous_winners: bool = False,
) -> DrawRecord:
    """Draw and store winners (`seed`: the caller's part of the seed); the earlier draw if
    one has `draw_key` (replayed); ConflictError if the campaign is no contest or nobody is
    eligible, ValidationFailed for a rule the contest cannot use or a bad count."""
    if campaign.type != CampaignType.ENGAGEMENT:
        raise ConflictError(
            "NOT_A_CONTEST", "Only engagement campaigns (quizzes, challenges) have draws."
        )
    if not 1 <= winners <= MAX_WINNERS:
        raise ValidationFailed(
            f"winners must be between 1 and {MAX_WINNERS}.",
            details=[{"field": "winners", "message": f"between 1 and {MAX_WINNERS}"}],
        )
    try:
        settings = parse_settings(campaign.settings)
    except ValidationError:
        raise ConflictError("NOT_A_CONTEST", "The campaign has no contest settings.") from None
    if eligibility is Eligibility.ALL_CORRECT and settings.mode is not EngagementMode.QUIZ:
        raise ValidationFailed(
            "all_correct needs a quiz.",
            details=[{"field": "eligibility", "message": "a challenge has no correct answers"}],
        )
    now = uow.clock()
    repo = ContestDrawRepository(uow.session)
    await repo.lock_campaign(campaign.id)  # one draw at a time: a draw key is seen by the next
    if draw_key is not None:
        for earlier in await list_draws(uow, campaign):
            if earlier.draw_key == draw_key:
                return DrawRecord(**{**earlier.__dict__, "replayed": True})
    eligible = await _eligible(repo, campaign, eligibility, now, exclude_previous_winners, None)
    if not eligible:
        nobody = "Nobody is eligible for this draw yet."
        field = [{"field": "winners", "message": nobody}]
        raise ConflictError("NO_ELIGIBLE_PARTICIPANTS", nobody, details=field)
    client_seed, server_seed = seed, secrets.token_hex(16)
    seed = mix_seed(server_seed, client_seed)
    row = await repo.add_draw(
        Draw(
            tenant_id=campaign.tenant_id,
            campaign_id=campaign.id,
            seed=seed,
            requested=winners,
            eligible=len(eligible),
            winners=pick_winners(eligible, winners, seed),
            drawn_by=actor.label,
            drawn_at=now,
        )
    )
    details = {
        "drawId": row.id,
        "eligibility": eligibility.value,
        "seed": seed,
        "serverSeed": server_seed,
        "clientSeed": client_seed,
        "requested": winners,
        "eligible": len(eligible),
        "eligibleDigest": eligible_digest(eligible),
        "excludePreviousWinners": exclude_previous_winners,
        "drawKey": draw_key,
        "winners": list(row.winners),
    }
    await record(uow, campaign, actor, WINNERS_DRAWN, "draw", campaign.status, details=details)
    people = await repo.subscribers(row.winners)
    return _record(row, details, people)


async def _eligible(
    repo: ContestDrawRepository,
    campaign: Campaign,
    eligibility: Eligibility,
    until: datetime,
    exclude_previous_winners: bool,
    before_draw: int | None,
) -> list[int]:
    """Step 1 of the algorithm: the ids eligible at `until`, ascending (draws before the draw
    id `before_draw`, or all, are the previous ones)."""
    if eligibility is Eligibility.ALL_CORRECT:
        keys = [q.key for q in parse_settings(campaign.settings).question_list()]
        eligible = await repo.all_correct(campaign.id, keys, until)
    else:
        eligible = await repo.participants(campaign.id, until)
    if exclude_previous_winners:
        rows = await repo.draws(campaign.id)
        earlier = [r for r in rows if before_draw is None or r.id < before_draw]
        previous = {w for row in earlier for w in row.winners or []}
        eligible = [i for i in eligible if i not in previous]
    return eligible


async def eligible_now(uow: UnitOfWork, campaign: Campaign, drawn: DrawRecord) -> list[int]:
    """A stored draw's eligible ids recomputed from the answers as of its drawnAt (compare
    their eligible_digest with the recorded one: answers erased since make them differ)."""
    if drawn.eligibility is None:
        return []
    repo = ContestDrawRepository(uow.session)
    return await _eligible(
        repo, campaign, drawn.eligibility, drawn.drawn_at, drawn.exclude_previous_winners, drawn.id
    )


def _record(row: Draw, audit: dict[str, Any], people: dict[int, Subscriber]) -> DrawRecord:
    winners = []
    for subscriber_id in row.winners or []:
        person = people.get(subscriber_id)
        name = None
        if person is not None:
            name = " ".join(p for p in (person.first_name, person.last_name) if p) or None
        winners.append(
            Winner(
                subscriber_id,
                person.telegram_id if person else None,
                name,
                person.username if person else None,
            )
        )
    rule = audit.get("eligibility")
    return DrawRecord(
        id=row.id,
        seed=row.seed,
        eligibility=Eligibility(rule) if rule else None,
        requested=row.requested,
        eligible=row.eligible,
        winners=winners,
        drawn_by=row.drawn_by,
        drawn_at=row.drawn_at,
        notified_at=row.notified_at,
        client_seed=audit.get("clientSeed"),
        server_seed=audit.get("serverSeed"),
        eligible_digest=audit.get("eligibleDigest"),
        draw_key=audit.get("drawKey"),
        exclude_previous_winners=bool(audit.get("excludePreviousWinners")),
    )


async def list_draws(uow: UnitOfWork, campaign: Campaign) -> list[DrawRecord]:
    """A campaign's draws, newest first, with their winners."""
    repo = ContestDrawRepository(uow.session)
    rows = await repo.draws(campaign.id)
    audits = await repo.draw_audits(campaign.id, WINNERS_DRAWN)
    people = await repo.subscribers(sorted({w for row in rows for w in row.winners or []}))
    return [_record(row, audits.get(row.id, {}), people) for row in rows]


async def notify_winners(
    uow: UnitOfWork, bot: Bot, campaign: Campaign, drawn: DrawRecord, message: str | None
) -> DrawRecord:
    """Tell each winner through the bot (personalised `message`, or DEFAULT_NOTICE, as plain
    text) and stamp the draw notified once every winner was told; a winner Telegram refuses
    is counted, not retried."""
    name = campaign.name.replace("{", "{{").replace("}", "}}")
    template = message or DEFAULT_NOTICE.replace("{campaign}", name)
    repo = ContestDrawRepository(uow.session)
    people = await repo.subscribers([w.subscriber_id for w in drawn.winners])
    sent = failed = 0
    for winner in drawn.winners:
        person = people.get(winner.subscriber_id)
        if person is None:
            failed += 1
            continue
        text = template
        if uses_variables(template):
            text = render(template, values_for(_values(person)), None)
        try:
            # Plain text: a campaign name or message with "<" or "&" is no HTML.
            await bot.send_message(chat_id=person.chat_id, text=text, parse_mode=None)
            sent += 1
        except TelegramAPIError as exc:
            log.info("draw %s: winner %s not told (%s)", drawn.id, person.id, exc.message)
            failed += 1
    notified_at = drawn.notified_at
    if failed == 0:
        notified_at = uow.clock()
        await repo.mark_notified(drawn.id, notified_at)
    return DrawRecord(
        **{**drawn.__dict__, "notified_at": notified_at, "notified": sent, "not_notified": failed}
    )


def _values(person: Subscriber) -> dict[str, object]:
    return {
        "first_name": person.first_name,
        "last_name": person.last_name,
        "username": person.username,
        "language_code": person.language_code,
        "telegram_id": person.telegram_id,
        "attributes": person.attributes,
    }
