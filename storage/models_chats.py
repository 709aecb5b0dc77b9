"""ORM model of the groups and channels the bot is a member of, as my_chat_member reported."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import AUTOINCREMENT, Base
from storage.types import BigIntPK, UTCDateTime, utcnow


class BotChat(Base):
    """A group, supergroup or channel and the bot's standing there (Telegram cannot list them)."""

    __tablename__ = "bot_chats"
    __table_args__ = (UniqueConstraint("tenant_id", "chat_id"), AUTOINCREMENT)
    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    chat_id: Mapped[int] = mapped_column(BigInteger)
    type: Mapped[str] = mapped_column(String(16))  # group | supergroup | channel
    title: Mapped[str | None] = mapped_column(String(255))
    username: Mapped[str | None] = mapped_column(String(64))
    # The bot's ChatMemberStatus there: creator, administrator, member, restricted, left, kicked.
    status: Mapped[str] = mapped_column(String(16))
    can_invite_users: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
