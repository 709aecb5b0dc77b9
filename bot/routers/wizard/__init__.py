"""The new-campaign wizard: name → type → the type's own steps (a target chat, a survey, a quiz,
a call) → content → buttons → audience → A/B → when → confirm."""

from bot.routers.wizard.handlers import build_router

__all__ = ["build_router"]
