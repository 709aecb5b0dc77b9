"""Which delivery policy each campaign type uses."""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

from core.campaign_types.base import DeliveryPolicy, UnknownCampaignType
from core.campaign_types.bot_api import BotApiPolicy
from core.campaign_types.custom import CustomPolicy
from core.campaign_types.data_collection import DataCollectionPolicy
from core.campaign_types.engagement import EngagementPolicy
from core.campaign_types.invitation import InvitationPolicy
from core.campaign_types.message import MessagePolicy
from core.models import CampaignType

# One policy module per type (docs/campaign-types/); a newly added CampaignType fails the
# tests until it is given one here.
POLICIES: MappingProxyType[CampaignType, DeliveryPolicy[Any]] = MappingProxyType(
    {
        CampaignType.MESSAGE: MessagePolicy(),
        CampaignType.INVITATION: InvitationPolicy(),
        CampaignType.DATA_COLLECTION: DataCollectionPolicy(),
        CampaignType.ENGAGEMENT: EngagementPolicy(),
        CampaignType.CUSTOM: CustomPolicy(),
        CampaignType.BOT_API: BotApiPolicy(),
    }
)


def policy_for(type_: CampaignType | str) -> DeliveryPolicy[Any]:
    """The delivery policy of a campaign type (or its stored value); UnknownCampaignType if none."""
    try:
        return POLICIES[CampaignType(type_)]
    except (KeyError, ValueError):
        raise UnknownCampaignType(type_, [t.value for t in POLICIES]) from None
