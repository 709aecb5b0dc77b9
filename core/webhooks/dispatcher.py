"""The webhook dispatcher: claims due outbox rows, signs them and POSTs them, then retries.

One task per endpoint at a time, so a healthy endpoint receives its events in order, and a
slow or dead one only holds its own task (bounded by the timeout); campaign sending never
waits on it. The core clock decides what is due; signatures carry the wall clock, because the
receiver checks them against its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import aiohttp
import orjson
from standardwebhooks import Webhook

from core.context import CoreContext
from core.errors import ValidationFailed
from core.events import DomainEvent
from core.lifecycle import WebhookDeliveryStatus
from core.webhooks.events import QUEUED_EVENT, webhook_type
from core.webhooks.urls import validate_url
from storage.models_webhooks import WebhookEndpoint
from storage.repositories.webhooks import ClaimedEvent, Outcome, WebhookRepository
from storage.types import utcnow

log = logging.getLogger(__name__)

# Delay before attempt n+1 after n failed attempts; after the last, the row is dead.
RETRY_DELAYS = tuple(timedelta(seconds=s) for s in (5, 60, 300, 1800, 7200, 21600, 43200))
JITTER = 0.1  # up to +10% of each delay, so endpoints recovering together are not stampeded
MAX_ERROR = 500
ENDPOINT_DISABLED = "webhook.disabled"  # domain event: the bot's notifier tells the admins
GONE_REASON = "410 Gone from the receiver"


def retry_delay(attempts: int, rand: Callable[[], float] = random.random) -> timedelta | None:
    """The wait after `attempts` failed attempts, or None when the row is dead."""
    if attempts > len(RETRY_DELAYS):
        return None
    base = RETRY_DELAYS[attempts - 1]
    return base + base * JITTER * rand()


def signature(endpoint: WebhookEndpoint, message_id: str, moment: datetime, body: str) -> str:
    """The `webhook-signature` header: the current secret's, plus the previous one's while the
    rotation window is open."""
    secrets = [endpoint.secret]
    until = endpoint.previous_secret_until
    if endpoint.previous_secret and until is not None and moment < until:
        secrets.append(endpoint.previous_secret)
    return " ".join(Webhook(secret).sign(message_id, moment, body) for secret in secrets)


def disabled_event(endpoint: WebhookEndpoint, reason: str, now: datetime) -> DomainEvent:
    """The domain event of an endpoint the dispatcher stopped sending to (never its secret)."""
    return DomainEvent(
        name=ENDPOINT_DISABLED,
        tenant_id=endpoint.tenant_id,
        campaign_id=None,
        actor="webhooks:dispatcher",
        occurred_at=now,
        data={"webhookId": endpoint.id, "url": endpoint.url, "reason": reason},
    )


@dataclass
class DispatcherSettings:
    """Knobs of one dispatcher."""

    timeout: float = 5.0
    batch: int = 100
    concurrency: int = 16  # endpoints served at once by this process
    poll_interval: float = 1.0


@dataclass
class WebhookDispatcher:
    """Delivers the outbox; start() runs it in the background, run_once() drives it in tests."""

    core: CoreContext
    settings: DispatcherSettings = field(default_factory=DispatcherSettings)
    wall_clock: Callable[[], datetime] = utcnow
    _busy: set[int] = field(default_factory=set)
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)
    _wake: asyncio.Event = field(default_factory=asyncio.Event)
    _loop_task: asyncio.Task[None] | None = None
    _http: aiohttp.ClientSession | None = None
    _slots: asyncio.Semaphore | None = None

    def _lease(self, rows: int) -> timedelta:
        return timedelta(seconds=self.settings.timeout * max(rows, 1) + 60)

    async def start(self) -> None:
        """Run the claim loop in the background; wake on committed events of this process."""
        self.core.bus.subscribe("*", self._on_event)
        self._loop_task = asyncio.create_task(self._run(), name="webhook-dispatcher")

    async def stop(self) -> None:
        """Stop claiming, cancel attempts in flight (their rows come due again), close HTTP."""
        if self._loop_task is not None:
            self._loop_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop_task
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._http is not None:
            await self._http.close()

    async def _on_event(self, event: DomainEvent) -> None:
        if webhook_type(event) is not None or event.name == QUEUED_EVENT:
            self._wake.set()

    def wake(self) -> None:
        """Look for due rows now (a test or replay was queued)."""
        self._wake.set()

    async def _run(self) -> None:
        while True:
            try:
                await self._claim_and_spawn()
            except Exception:
                log.exception("webhook dispatch round failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.settings.poll_interval)
            self._wake.clear()

    async def run_once(self) -> int:
        """Claim what is due now and deliver it all; how many rows were attempted."""
        claimed = await self._claim_and_spawn()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        return claimed

    async def _claim_and_spawn(self) -> int:
        now = self.core.clock()
        async with self.core.uow(read_only=True) as uow:
            if not await WebhookRepository(uow.session).any_due(now):
                return 0
        async with self.core.uow() as uow:
            rows = await WebhookRepository(uow.session).claim(
                now, now + self._lease(self.settings.batch), self.settings.batch, self._busy
            )
        by_endpoint: dict[int, list[ClaimedEvent]] = defaultdict(list)
        for row in rows:
            by_endpoint[row.endpoint_id].append(row)
        for endpoint_id, queue in by_endpoint.items():
            self._busy.add(endpoint_id)
            task = asyncio.create_task(self._serve(endpoint_id, queue))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return len(rows)

    async def _serve(self, endpoint_id: int, queue: list[ClaimedEvent]) -> None:
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.settings.concurrency)
        try:
            async with self._slots:
                for index, row in enumerate(queue):
                    retry_at = await self._attempt(endpoint_id, row)
                    if retry_at is not None:
                        # Later events wait behind the failed one, so order holds.
                        rest = [later.id for later in queue[index + 1 :]]
                        async with self.core.uow() as uow:
                            await WebhookRepository(uow.session).postpone(rest, retry_at)
                        break
        except Exception:
            # The rows left come due again when their lease ends.
            log.exception("webhook delivery to endpoint %s failed", endpoint_id)
        finally:
            self._busy.discard(endpoint_id)
            # Events committed for this endpoint while it was busy were left unclaimed: look
            # again now rather than at the next poll.
            self._wake.set()

    async def _attempt(self, endpoint_id: int, row: ClaimedEvent) -> datetime | None:
        """One POST and its write-back; when not delivered, when later rows may go."""
        async with self.core.uow(read_only=True) as uow:
            endpoint = (await WebhookRepository(uow.session).endpoints_by_id([endpoint_id])).get(
                endpoint_id
            )
        if endpoint is None or not endpoint.enabled:
            return self.core.clock()  # claimed just before a disable: the claim skips it now
        code, latency, error = await self._post(endpoint, row)
        now = self.core.clock()
        attempts = row.attempts + 1
        gone = code == 410
        if code is not None and 200 <= code < 300:
            outcome = Outcome(
                WebhookDeliveryStatus.DELIVERED, attempts, now, code, latency, None, now
            )
        else:
            delay = None if gone else retry_delay(attempts)
            status = WebhookDeliveryStatus.DEAD if delay is None else WebhookDeliveryStatus.FAILED
            outcome = Outcome(
                status, attempts, now + (delay or timedelta()), code, latency, error, None
            )
        async with self.core.uow() as uow:
            repository = WebhookRepository(uow.session)
            await repository.settle(row.id, outcome)
            if gone:
                await repository.disable_endpoint(endpoint_id, GONE_REASON, now)
                uow.emit(disabled_event(endpoint, GONE_REASON, now))
        delivered = outcome.status is WebhookDeliveryStatus.DELIVERED
        return None if delivered else outcome.next_attempt_at

    async def _post(
        self, endpoint: WebhookEndpoint, row: ClaimedEvent
    ) -> tuple[int | None, int | None, str | None]:
        """The response status (None: no response), latency in ms and a short error."""
        try:
            await validate_url(endpoint.url, self.core.webhook_urls)
        except ValidationFailed as refused:
            return None, None, refused.message[:MAX_ERROR]
        body = orjson.dumps(row.payload).decode()
        moment = self.wall_clock()
        headers = {
            "content-type": "application/json",
            "webhook-id": row.message_id,
            "webhook-timestamp": str(int(moment.timestamp())),
            "webhook-signature": signature(endpoint, row.message_id, moment, body),
            "user-agent": "tg-campaigns-webhooks/1",
        }
        if self._http is None:
            self._http = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self.settings.timeout)
            )
        started = time.perf_counter()
        try:
            async with self._http.post(
                endpoint.url, data=body, headers=headers, allow_redirects=False
            ) as response:
                text = await response.content.read(MAX_ERROR)
                latency = int((time.perf_counter() - started) * 1000)
                error = None
                if not 200 <= response.status < 300:
                    error = f"HTTP {response.status}: {text.decode(errors='replace')}"[:MAX_ERROR]
                return response.status, latency, error
        except (aiohttp.ClientError, TimeoutError) as failure:
            latency = int((time.perf_counter() - started) * 1000)
            return None, latency, f"{type(failure).__name__}: {failure}"[:MAX_ERROR]
