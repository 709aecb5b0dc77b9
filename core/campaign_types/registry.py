"""Which delivery policy each campaign type uses."""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

from core.campaign_types.base import DeliveryPolicy, UnknownCampaignType
from core.campaign_types.bot_api import BotApiPolicy
from core.campaign_types.message import MessagePolicy
from core.models import CampaignType

_MESSAGE = MessagePolicy()

# `message` and `bot_api` (the v2 Campaign API's) have their own behaviour. The other types
# send exactly what `message` sends until each gets its own module (a later issue); they are
# listed so the choice is explicit and a newly added CampaignType fails tests until it is
# given a policy here.
POLICIES: MappingProxyType[CampaignType, DeliveryPolicy[Any]] = MappingProxyType(
    {
        CampaignType.MESSAGE: _MESSAGE,
        CampaignType.INVITATION: _MESSAGE,
        CampaignType.DATA_COLLECTION: _MESSAGE,
        CampaignType.ENGAGEMENT: _MESSAGE,
        CampaignType.CUSTOM: _MESSAGE,
        CampaignType.BOT_API: BotApiPolicy(),
    }
)


def policy_for(type_: CampaignType | str) -> DeliveryPolicy[Any]:
    """The delivery policy of a campaign type (or its stored value); UnknownCampaignType if none."""
    try:
        return POLICIES[CampaignType(type_)]
    except (KeyError, ValueError):
        raise UnknownCampaignType(type_, [t.value for t in POLICIES]) from None
