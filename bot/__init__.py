"""The Telegram bot: aiogram routers over the core, one per feature."""
