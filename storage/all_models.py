"""Import every model module so `Base.metadata` knows every table (migrations, tests)."""

from storage import models, models_chats, models_scheduling, models_types, models_webhooks
from storage.models import Base

__all__ = ["Base", "models", "models_chats", "models_scheduling", "models_types", "models_webhooks"]
