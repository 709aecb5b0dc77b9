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
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import aiohttp
import orjson

from core.context import CoreContext
from core.errors import ValidationFailed
from core.events import DomainEvent
from core.lifecycle import WebhookDeliveryStatus
from core.webhooks.attempts import (
    EXHAUSTED_REASON,
    GONE_REASON,
    MAX_ERROR,
    disabled_event,
    outcome_of,
    signature,
)
from core.webhooks.events import QUEUED_EVENT, webhook_type
from core.webhooks.resolver import guarded_connector
from core.webhooks.urls import validate_url
from storage.models_webhooks import WebhookEndpoint
from storage.repositories.webhooks import ClaimedEvent, Outcome, WebhookRepository
from storage.types import utcnow

log = logging.getLogger(__name__)

# Rows sent between two write-backs: one transaction per chunk instead of one per event, and
# the endpoint (enabled, URL, secrets) is read again before each chunk.
CHUNK = 25


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
                for start in range(0, len(queue), CHUNK):
                    chunk, later = queue[start : start + CHUNK], queue[start + CHUNK :]
                    if not await self._serve_chunk(endpoint_id, chunk, later):
                        break
        except Exception:
            # The rows left come due again when their lease ends.
            log.exception("webhook delivery to endpoint %s failed", endpoint_id)
        finally:
            self._busy.discard(endpoint_id)
            # Events committed for this endpoint while it was busy were left unclaimed: look
            # again now rather than at the next poll.
            self._wake.set()

    async def _serve_chunk(
        self, endpoint_id: int, chunk: list[ClaimedEvent], later: list[ClaimedEvent]
    ) -> bool:
        """Send `chunk` in order and write what came of it; False when the rest must wait."""
        async with self.core.uow(read_only=True) as uow:
            endpoint = (await WebhookRepository(uow.session).endpoints_by_id([endpoint_id])).get(
                endpoint_id
            )
        if endpoint is None or not endpoint.enabled:
            # Disabled since the claim: hand the rows back (the claim skips a disabled endpoint).
            await self._write(endpoint, [], [*chunk, *later], self.core.clock())
            return False
        refused = await self._refusal(endpoint)
        settled: list[tuple[ClaimedEvent, Outcome]] = []
        for row in chunk:
            if refused is not None:
                answer: tuple[int | None, int | None, str | None] = (None, None, refused)
            else:
                answer = await self._post(endpoint, row)
            outcome = outcome_of(*answer, row.attempts + 1, self.core.clock())
            settled.append((row, outcome))
            if outcome.status is not WebhookDeliveryStatus.DELIVERED:
                # Later events wait behind the failed one, so order holds.
                waiting = [*chunk[len(settled) :], *later]
                await self._write(endpoint, settled, waiting, outcome.next_attempt_at)
                return False
        await self._write(endpoint, settled, [], self.core.clock())
        return True

    async def _refusal(self, endpoint: WebhookEndpoint) -> str | None:
        """Why the endpoint's URL may not be posted to now (DNS can change), or None."""
        try:
            await validate_url(endpoint.url, self.core.webhook_urls)
        except ValidationFailed as refused:
            return refused.message[:MAX_ERROR]
        return None

    async def _write(
        self,
        endpoint: WebhookEndpoint | None,
        settled: Sequence[tuple[ClaimedEvent, Outcome]],
        waiting: Sequence[ClaimedEvent],
        until: datetime,
    ) -> None:
        """One transaction: the attempts' outcomes, the rows handed back, a disabling."""
        async with self.core.uow() as uow:
            repository = WebhookRepository(uow.session)
            await repository.settle_many([(row.id, outcome) for row, outcome in settled])
            await repository.postpone([row.id for row in waiting], until)
            if endpoint is None or not settled:
                return
            reason = await self._disabling(repository, endpoint.id, *settled[-1])
            now = self.core.clock()
            # Only the process whose UPDATE disabled it tells the admins.
            if reason is not None and await repository.disable_endpoint(endpoint.id, reason, now):
                uow.emit(disabled_event(endpoint, reason, now))

    @staticmethod
    async def _disabling(
        repository: WebhookRepository, endpoint_id: int, row: ClaimedEvent, outcome: Outcome
    ) -> str | None:
        """Why the endpoint stops now: 410 Gone, or nothing delivered for a whole window."""
        if outcome.status_code == 410:
            return GONE_REASON
        if outcome.status is WebhookDeliveryStatus.DEAD and not await repository.delivered_since(
            endpoint_id, row.created_at
        ):
            return EXHAUSTED_REASON
        return None

    async def _post(
        self, endpoint: WebhookEndpoint, row: ClaimedEvent
    ) -> tuple[int | None, int | None, str | None]:
        """The response status (None: no response), latency in ms and a short error."""
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
                connector=guarded_connector(self.core.webhook_urls),
                timeout=aiohttp.ClientTimeout(total=self.settings.timeout),
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
