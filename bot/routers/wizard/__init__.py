"""The new-campaign wizard: name → type → content → buttons → audience → A/B → when → confirm."""

from bot.routers.wizard.handlers import build_router

__all__ = ["build_router"]
