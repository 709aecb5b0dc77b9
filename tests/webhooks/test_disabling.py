"""An endpoint that fails for the whole retry window is disabled, and the admins are told once."""

from __future__ import annotations

from core.events import DomainEvent
from core.webhooks.attempts import ENDPOINT_DISABLED, EXHAUSTED_REASON, RETRY_DELAYS
from storage.repositories.webhooks import WebhookRepository
from tests.webhooks.conftest import WEBHOOKS, register


def _notices(core) -> list[DomainEvent]:
    seen: list[DomainEvent] = []

    async def note(event: DomainEvent) -> None:
        seen.append(event)

    core.bus.subscribe(ENDPOINT_DISABLED, note)
    return seen


async def _fail_until_dead(clock, dispatcher, receiver) -> None:
    """Every attempt of the queued event fails; the clock jumps over each backoff."""
    for delay in RETRY_DELAYS:
        assert await dispatcher.run_once() == 1
        clock.advance(delay * 1.2)
    assert await dispatcher.run_once() == 1  # the last attempt: the row is dead now


async def _shown(api, auth, hook) -> dict:
    return (await (await api.get(f"{WEBHOOKS}/{hook['id']}", headers=auth)).json())["data"]


async def test_a_day_of_failures_disables_the_endpoint_and_tells_the_admins_once(
    api, auth, core, clock, receiver, dispatcher
):
    clock.set(clock())
    notices = _notices(core)
    hook = await register(api, auth, receiver.url)
    receiver.answers = [500] * (len(RETRY_DELAYS) + 1)
    await api.post(f"{WEBHOOKS}/{hook['id']}/test", headers=auth)

    await _fail_until_dead(clock, dispatcher, receiver)

    assert len(receiver.received) == len(RETRY_DELAYS) + 1
    shown = await _shown(api, auth, hook)
    assert shown["enabled"] is False and shown["disabledReason"] == EXHAUSTED_REASON
    assert [n.data["webhookId"] for n in notices] == [int(hook["id"].removeprefix("wh_"))]
    assert "secret" not in str(notices[0].data)
    deliveries = await (await api.get(f"{WEBHOOKS}/{hook['id']}/deliveries", headers=auth)).json()
    assert deliveries["data"]["deliveries"][0]["status"] == "dead"


async def test_an_endpoint_that_took_something_meanwhile_stays_enabled(
    api, auth, core, clock, receiver, dispatcher
):
    clock.set(clock())
    notices = _notices(core)
    hook = await register(api, auth, receiver.url)
    # The first event fails every time; a test event sent while it waits for a retry is taken.
    receiver.answers = [500, 200] + [500] * len(RETRY_DELAYS)
    await api.post(f"{WEBHOOKS}/{hook['id']}/test", headers=auth)
    assert await dispatcher.run_once() == 1
    await api.post(f"{WEBHOOKS}/{hook['id']}/test", headers=auth)
    assert await dispatcher.run_once() == 1  # the newer one is due, the failed one is not yet
    clock.advance(RETRY_DELAYS[0] * 1.2)
    for delay in RETRY_DELAYS[1:]:
        assert await dispatcher.run_once() == 1
        clock.advance(delay * 1.2)
    assert await dispatcher.run_once() == 1

    shown = await _shown(api, auth, hook)
    assert shown["enabled"] is True and notices == []
    statuses = await (await api.get(f"{WEBHOOKS}/{hook['id']}/deliveries", headers=auth)).json()
    assert [d["status"] for d in statuses["data"]["deliveries"]] == ["delivered", "dead"]


async def test_a_second_disabling_of_the_same_endpoint_says_nothing(
    core, tenant, api, auth, receiver
):
    hook = await register(api, auth, receiver.url)
    endpoint_id = int(hook["id"].removeprefix("wh_"))
    async with core.uow() as uow:
        repository = WebhookRepository(uow.session)
        first = await repository.disable_endpoint(endpoint_id, "410", uow.clock())
        again = await repository.disable_endpoint(endpoint_id, "410", uow.clock())
    assert (first, again) == (True, False)
