"""Names of the subscriber and interaction domain events (a leaf: the outbox maps them too)."""

from __future__ import annotations

from core.models import InteractionType

USER_REGISTERED = "user_registered"
UNSUBSCRIBED = "unsubscribed"
SUBSCRIBER_BLOCKED = "subscriber.blocked"  # blocked the bot, or the account was deactivated
# Recorded interactions (webhooks carry them under the same names).
INTERACTION_EVENTS = {
    InteractionType.CLICKED: "interaction.clicked",
    InteractionType.CONVERTED: "interaction.converted",
}
