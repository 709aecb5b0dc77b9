"""The `message` type: one (A/B-varied) message per recipient, with optional buttons."""

from __future__ import annotations

from typing import Any, ClassVar

from core.campaign_types.base import NO_CONTEXT, DeliveryPolicy, RunContext, UpdateKind
from core.delivery.content import Content, content_for, send_content


class MessagePolicy(DeliveryPolicy[Content]):
    """Text, or photo/video/document/animation with a caption; callback clicks are counted.

    A click is recorded as CLICKED (core/interactions.py) and is not a conversion.
    """

    name: ClassVar[str] = "message"
    listens_to: ClassVar[frozenset[UpdateKind]] = frozenset({UpdateKind.BUTTON_CLICK})
    converts_on: ClassVar[frozenset[UpdateKind]] = frozenset()

    def prepare(
        self, messages: list[dict[str, Any]], variation: int, context: RunContext = NO_CONTEXT
    ) -> Content:
        """The variant `variation` of the campaign's first message (see `content_for`)."""
        return content_for(messages, variation)

    # The function itself rather than a wrapper: the engine awaits it once per recipient,
    # and a delegating coroutine would add a frame to every send.
    send = staticmethod(send_content)
