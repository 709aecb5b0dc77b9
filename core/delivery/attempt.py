"""One send attempt: hand a claimed row's message to its policy and classify the result."""

from __future__ import annotations

import logging

from aiogram import Bot

from core.delivery.jobs import Job
from core.delivery.limiter import Limiter, SendSlot
from core.delivery.outcomes import Kind, Outcome, classify
from storage.repositories.deliveries import ClaimedRow

log = logging.getLogger(__name__)
# deliveries.ref's width: a longer ref would fail every write-back of its batch.
REF_LIMIT = 128


async def attempt_send(
    bot: Bot,
    limiter: Limiter,
    job: Job,
    row: ClaimedRow,
    chat_id: int,
    recipient: dict[str, object] | None,
    slot: SendSlot,
) -> Outcome:
    """Send `row`'s message to `chat_id` once, giving the slot back; never raises a refusal."""
    try:
        message = await job.policy.send(
            bot,
            chat_id,
            job.content(row.variation),
            delivery_id=row.id,
            recipient=recipient,
            paid=job.paid,
        )
    except Exception as exc:  # every Bot API refusal is a normal, classified event
        outcome = classify(exc, chat_id=chat_id)
        if outcome.kind is Kind.RATE_LIMITED:
            limiter.pause(outcome.retry_after)
        return outcome
    finally:
        slot.done()
    ref = message.ref
    if ref is not None and len(ref) > REF_LIMIT:
        # A policy's bug, not the recipient's: the message was sent, so the row says so;
        # the ref is dropped (its updates will not find the row) rather than failing the
        # batch's write-back for ever.
        log.error("policy %s made a %d-character ref; dropped", job.policy.name, len(ref))
        ref = None
    return Outcome(Kind.SENT, message_id=message.message_id, ref=ref)
