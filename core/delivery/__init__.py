"""The delivery engine: campaign executions reach subscribers through the Bot API."""
