"""Webhook endpoint routes: CRUD, secret rotation, a test event, deliveries and replays."""

from __future__ import annotations

from aiohttp import web

from api.envelope import ok
from api.keys import CORE, actor_of, uow_of
from api.parsing import parse_body
from api.query import parse_query
from api.registry import ApiRouter
from api.schemas import Envelope, MessageText, PageQuery, pagination
from api.webhook_schemas import (
    WebhookCreated,
    WebhookDeliveryList,
    WebhookDeliveryOut,
    WebhookList,
    WebhookOut,
    WebhookTestQueued,
    delivery_out,
    webhook_out,
    with_secret,
)
from core.webhooks import endpoints as service
from core.webhooks.endpoints import EndpointInput, EndpointPatch

router = ApiRouter(tag="Webhooks")
BASE = "/api/v1/webhooks"


@router.route(
    "POST",
    BASE,
    summary="Register a webhook endpoint (the secret is shown once)",
    body=EndpointInput,
    response=Envelope[WebhookCreated],
    status=201,
    errors=(400, 401, 413),
)
async def create_webhook(request: web.Request) -> web.Response:
    """Create an endpoint and show its secret."""
    data = await parse_body(request, EndpointInput)
    urls = request.app[CORE].webhook_urls
    endpoint, secret = await service.create_endpoint(uow_of(request), actor_of(request), data, urls)
    return ok(with_secret(endpoint, secret), status=201)


@router.route(
    "GET",
    BASE,
    summary="List webhook endpoints",
    query=PageQuery,
    response=Envelope[WebhookList],
    errors=(400, 401),
)
async def list_webhooks(request: web.Request) -> web.Response:
    """Paged endpoints."""
    query = parse_query(request, PageQuery)
    page = await service.list_endpoints(
        uow_of(request), actor_of(request), page=query.page, limit=query.limit
    )
    data = WebhookList(
        webhooks=[webhook_out(e) for e in page.items],
        pagination=pagination(query.page, query.limit, page.total),
    )
    return ok(data)


@router.route(
    "GET",
    BASE + "/{id}",
    summary="Get a webhook endpoint with its health",
    response=Envelope[WebhookOut],
    errors=(401, 404),
)
async def get_webhook(request: web.Request) -> web.Response:
    """One endpoint and its delivery health."""
    uow = uow_of(request)
    endpoint = await service.get_endpoint(uow, actor_of(request), request.match_info["id"])
    return ok(webhook_out(endpoint, await service.health(uow, endpoint)))


@router.route(
    "PATCH",
    BASE + "/{id}",
    summary="Change a webhook endpoint",
    body=EndpointPatch,
    response=Envelope[WebhookOut],
    errors=(400, 401, 404, 413),
)
async def update_webhook(request: web.Request) -> web.Response:
    """Change url, events, description or enabled."""
    data = await parse_body(request, EndpointPatch)
    uow = uow_of(request)
    endpoint = await service.get_endpoint(uow, actor_of(request), request.match_info["id"])
    urls = request.app[CORE].webhook_urls
    return ok(webhook_out(await service.update_endpoint(uow, endpoint, data, urls)))


@router.route(
    "DELETE",
    BASE + "/{id}",
    summary="Delete a webhook endpoint and its deliveries",
    response=Envelope[MessageText],
    errors=(401, 404),
)
async def delete_webhook(request: web.Request) -> web.Response:
    """Delete one endpoint."""
    uow = uow_of(request)
    endpoint = await service.get_endpoint(uow, actor_of(request), request.match_info["id"])
    await service.delete_endpoint(uow, endpoint)
    return ok(MessageText(message="Webhook deleted successfully"))


@router.route(
    "POST",
    BASE + "/{id}/rotate-secret",
    summary="Rotate the signing secret (the old one also signs for 24 h)",
    response=Envelope[WebhookCreated],
    errors=(401, 404),
)
async def rotate_webhook_secret(request: web.Request) -> web.Response:
    """A new secret, shown once."""
    uow = uow_of(request)
    endpoint = await service.get_endpoint(uow, actor_of(request), request.match_info["id"])
    secret = await service.rotate_secret(uow, endpoint)
    return ok(with_secret(endpoint, secret))


@router.route(
    "POST",
    BASE + "/{id}/test",
    summary="Queue a webhook.test event for this endpoint",
    response=Envelope[WebhookTestQueued],
    status=202,
    errors=(401, 404, 409),
)
async def test_webhook(request: web.Request) -> web.Response:
    """Queue a test event."""
    uow = uow_of(request)
    endpoint = await service.get_endpoint(uow, actor_of(request), request.match_info["id"])
    message_id = await service.send_test(uow, endpoint)
    return ok(WebhookTestQueued(message_id=message_id, event="webhook.test"), status=202)


@router.route(
    "GET",
    BASE + "/{id}/deliveries",
    summary="List a webhook endpoint's deliveries, newest first",
    query=PageQuery,
    response=Envelope[WebhookDeliveryList],
    errors=(400, 401, 404),
)
async def list_webhook_deliveries(request: web.Request) -> web.Response:
    """Paged deliveries of one endpoint."""
    query = parse_query(request, PageQuery)
    uow = uow_of(request)
    endpoint = await service.get_endpoint(uow, actor_of(request), request.match_info["id"])
    page = await service.list_deliveries(uow, endpoint, page=query.page, limit=query.limit)
    data = WebhookDeliveryList(
        deliveries=[delivery_out(row) for row in page.items],
        pagination=pagination(query.page, query.limit, page.total),
    )
    return ok(data)


@router.route(
    "POST",
    BASE + "/{id}/deliveries/{delivery_id}/retry",
    summary="Replay one delivery now (same webhook-id)",
    response=Envelope[WebhookDeliveryOut],
    status=202,
    errors=(401, 404, 409),
)
async def retry_webhook_delivery(request: web.Request) -> web.Response:
    """Make one delivery due again."""
    uow = uow_of(request)
    endpoint = await service.get_endpoint(uow, actor_of(request), request.match_info["id"])
    row = await service.retry_delivery(uow, endpoint, request.match_info["delivery_id"])
    return ok(delivery_out(row), status=202)
