"""Prize draws of engagement campaigns (quizzes, challenges): draw winners, list draws."""

from __future__ import annotations

from typing import Annotated, Self

from aiohttp import web
from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from api.envelope import ok
from api.keys import actor_of, uow_of
from api.parsing import parse_body
from api.registry import ApiRouter
from api.schemas import Envelope, Out, UtcTime, omitted_when_none
from api.v2.keys import TELEGRAM_CHECK
from core import campaigns as campaign_service
from core import contest_draws as service
from core.contest_draws import MAX_NOTIFIED, MAX_WINNERS, DrawRecord, Eligibility
from core.errors import ConflictError, NotFoundError
from core.ids import format_id
from core.models import CamelModel
from core.validation import Line, Text, WholeInt

router = ApiRouter(tag="Contests")
BASE = "/api/v1/campaigns/{id}"


class DrawRequest(CamelModel):
    """Body of POST /draw."""

    winners: Annotated[WholeInt, Field(ge=1, le=MAX_WINNERS, description="How many to draw.")]
    eligibility: Eligibility = Field(
        default=Eligibility.PARTICIPANTS,
        description="participants: anyone who answered or entered; all_correct: quiz only.",
    )
    seed: Annotated[Line, Field(min_length=1, max_length=64)] | None = Field(
        default=None,
        description="Your part of the seed (clientSeed), mixed with a random server seed.",
    )
    draw_key: Annotated[Line, Field(min_length=1, max_length=64)] | None = Field(
        default=None,
        description="Idempotency key: a draw with the same key answers the earlier draw (200).",
    )
    exclude_previous_winners: bool = Field(
        default=False, description="Leave out subscribers who won an earlier draw."
    )
    notify: bool = Field(default=False, description=f"Tell the winners (at most {MAX_NOTIFIED}).")
    message: Annotated[Text, Field(min_length=1, max_length=4096)] | None = Field(
        default=None, description="The winners' message (variables as in campaign content)."
    )

    @model_validator(mode="after")
    def _message_needs_notify(self) -> Self:
        # Rules relating two fields: typed so, as JSON Schema does not state them.
        if self.message is not None and not self.notify:
            raise PydanticCustomError("field_relation", "message is sent only with notify: true")
        if self.notify and self.winners > MAX_NOTIFIED:
            raise PydanticCustomError(
                "field_relation", f"at most {MAX_NOTIFIED} winners can be notified by one draw"
            )
        return self


class DrawWinnerOut(Out):
    """One winner."""

    subscriber_id: str
    telegram_id: int | None
    name: str | None
    username: str | None


class DrawOut(Out):
    """One draw, with what re-running it needs (seed, eligibility, drawnAt)."""

    id: str
    campaign_id: str
    seed: str
    client_seed: str | None
    server_seed: str | None
    eligibility: Eligibility | None
    requested: int
    eligible: int
    eligible_digest: str | None
    exclude_previous_winners: bool
    draw_key: str | None
    winners: list[DrawWinnerOut]
    drawn_by: str | None
    drawn_at: UtcTime
    notified_at: UtcTime | None
    notified: int | None = omitted_when_none("Winners told by this request.")
    not_notified: int | None = omitted_when_none("Winners Telegram refused.")


class DrawDetail(DrawOut):
    """data of GET /draws/:drawId: the draw and its eligible subscribers, recomputed."""

    eligible_ids: list[str]
    eligible_digest_matches: bool


class DrawList(Out):
    """data of GET /draws."""

    draws: list[DrawOut]


def _out(campaign_id: int, drawn: DrawRecord) -> DrawOut:
    return DrawOut(
        id=f"draw_{drawn.id}",
        campaign_id=format_id("campaign", campaign_id),
        seed=drawn.seed,
        client_seed=drawn.client_seed,
        server_seed=drawn.server_seed,
        eligibility=drawn.eligibility,
        requested=drawn.requested,
        eligible=drawn.eligible,
        eligible_digest=drawn.eligible_digest,
        exclude_previous_winners=drawn.exclude_previous_winners,
        draw_key=drawn.draw_key,
        winners=[
            DrawWinnerOut(
                subscriber_id=format_id("subscriber", w.subscriber_id),
                telegram_id=w.telegram_id,
                name=w.name,
                username=w.username,
            )
            for w in drawn.winners
        ],
        drawn_by=drawn.drawn_by,
        drawn_at=drawn.drawn_at,
        notified_at=drawn.notified_at,
        notified=drawn.notified,
        not_notified=drawn.not_notified,
    )


@router.route(
    "POST",
    BASE + "/draw",
    summary="Draw winners at random among a contest's eligible participants",
    body=DrawRequest,
    response=Envelope[DrawOut],
    status=201,
    errors=(400, 401, 404, 409),
    also=(200,),  # the earlier draw of the same drawKey
)
async def draw(request: web.Request) -> web.Response:
    """Seeded, recorded, reproducible (see docs/campaign-types/engagement.md); `notify` tells
    the winners through the bot once the draw is stored."""
    body = await parse_body(request, DrawRequest)
    uow, actor = uow_of(request), actor_of(request)
    campaign = await campaign_service.get_campaign(uow, actor, request.match_info["id"])
    check = request.app.get(TELEGRAM_CHECK)
    if body.notify and check is None:
        raise ConflictError("NOTIFY_UNAVAILABLE", "This process has no bot to notify winners.")
    drawn = await service.draw(
        uow,
        actor,
        campaign,
        body.winners,
        body.eligibility,
        body.seed,
        draw_key=body.draw_key,
        exclude_previous_winners=body.exclude_previous_winners,
    )
    if drawn.replayed:  # a repeated submit: the earlier draw, its winners not told again
        return ok(_out(campaign.id, drawn), status=200)
    if body.notify:
        assert check is not None
        await uow.commit()  # the draw stands whatever Telegram says next
        drawn = await service.notify_winners(uow, check.bot, campaign, drawn, body.message)
    return ok(_out(campaign.id, drawn), status=201)


@router.route(
    "GET",
    BASE + "/draws",
    summary="A contest's draws, newest first",
    response=Envelope[DrawList],
    errors=(401, 404),
)
async def list_draws(request: web.Request) -> web.Response:
    """Every draw with its seed, eligibility rule, counts and winners."""
    uow, actor = uow_of(request), actor_of(request)
    campaign = await campaign_service.get_campaign(uow, actor, request.match_info["id"])
    draws = await service.list_draws(uow, campaign)
    return ok(DrawList(draws=[_out(campaign.id, d) for d in draws]))


@router.route(
    "GET",
    BASE + "/draws/{draw_id}",
    summary="One draw with its eligible subscribers, recomputed from the answers",
    response=Envelope[DrawDetail],
    errors=(401, 404),
)
async def get_draw(request: web.Request) -> web.Response:
    """The draw, the ids eligible at its drawnAt (step 1 of the algorithm) and whether their
    digest still matches the recorded eligibleDigest."""
    uow, actor = uow_of(request), actor_of(request)
    campaign = await campaign_service.get_campaign(uow, actor, request.match_info["id"])
    wanted = request.match_info["draw_id"]
    draws = await service.list_draws(uow, campaign)
    drawn = next((d for d in draws if f"draw_{d.id}" == wanted), None)
    if drawn is None:
        raise NotFoundError("DRAW_NOT_FOUND", f"No draw {wanted} in this campaign.")
    ids = await service.eligible_now(uow, campaign, drawn)
    out = _out(campaign.id, drawn)
    return ok(
        DrawDetail(
            **out.model_dump(),
            eligible_ids=[format_id("subscriber", i) for i in ids],
            eligible_digest_matches=service.eligible_digest(ids) == drawn.eligible_digest,
        )
    )
