"""Survey responses of a data_collection campaign: paged JSON, or every response as CSV."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from aiohttp import web

from api.envelope import ok
from api.keys import actor_of, uow_of
from api.query import parse_query
from api.registry import ApiRouter
from api.schemas import Envelope, Out, PageQuery, Pagination, UtcTime, omitted_when_none, pagination
from core import campaigns as campaign_service
from core.ids import format_id
from core.survey_figures import Response, responses_csv, survey_responses
from core.validation import Lowercase
from storage.models import Campaign

router = ApiRouter(tag="Survey responses")
BASE = "/api/v1/campaigns/{id}/responses"
# Responses read per query while writing the CSV.
CSV_BATCH = 500


class ResponseFormat(StrEnum):
    """How GET /responses answers."""

    JSON = "json"
    CSV = "csv"


class ResponsesQuery(PageQuery):
    """Query of GET /responses (`format=csv`: every response, page and limit ignored)."""

    format: Lowercase[ResponseFormat] = ResponseFormat.JSON


class SurveyResponseOut(Out):
    """One recipient's answers, by question key (null: skipped; absent: not reached)."""

    delivery_id: str
    subscriber_id: str
    answers: dict[str, Any]
    completed: bool
    started_at: UtcTime
    last_answered_at: UtcTime
    completed_at: UtcTime | None = omitted_when_none()


class SurveyResponseList(Out):
    """data of GET /responses."""

    questions: list[str]
    responses: list[SurveyResponseOut]
    pagination: Pagination


def _out(response: Response) -> SurveyResponseOut:
    return SurveyResponseOut(
        delivery_id=format_id("delivery", response.delivery_id),
        subscriber_id=format_id("subscriber", response.subscriber_id),
        answers=response.answers,
        completed=response.completed,
        started_at=response.started_at,
        last_answered_at=response.last_answered_at,
        completed_at=response.completed_at,
    )


@router.route(
    "GET",
    BASE,
    summary="Answers of a survey (data_collection) campaign, paged; `format=csv` for all",
    query=ResponsesQuery,
    response=Envelope[SurveyResponseList],
    errors=(400, 401, 404, 409),
)
async def list_responses(request: web.Request) -> web.Response:
    """One item per recipient who answered, oldest first; CSV with a column per question."""
    query = parse_query(request, ResponsesQuery)
    uow = uow_of(request)
    campaign = await campaign_service.get_campaign(uow, actor_of(request), request.match_info["id"])
    if query.format == ResponseFormat.CSV:
        return await _csv(request, campaign)
    offset = (query.page - 1) * query.limit
    survey, page = await survey_responses(uow, campaign, offset, query.limit)
    data = SurveyResponseList(
        questions=[q.key for q in survey.questions],
        responses=[_out(item) for item in page.items],
        pagination=pagination(query.page, query.limit, page.total),
    )
    return ok(data)


async def _csv(request: web.Request, campaign: Campaign) -> web.Response:
    uow = uow_of(request)
    chunks, offset = [], 0
    while True:
        survey, page = await survey_responses(uow, campaign, offset, CSV_BATCH)
        rows = [
            (format_id("delivery", r.delivery_id), format_id("subscriber", r.subscriber_id), r)
            for r in page.items
        ]
        chunks.append(responses_csv(survey, rows, with_header=offset == 0))
        offset += CSV_BATCH
        if offset >= page.total:
            break
    name = format_id("campaign", campaign.id)
    return web.Response(
        text="".join(chunks),
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}-responses.csv"'},
    )
