"""What the emulator saw of one campaign: duplicates, 429s, throughput, completion."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Record:
    """The emulator's record for one bot token and campaign marker."""

    chats: dict[int, int]  # chat id -> messages of the campaign it received
    stats: dict[str, Any]  # the token's /_emulator/stats entry (cumulative counters)
    window: dict[str, Any]  # accepted sends since the run began: count, mean, peak_1s

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Record:
        """Parse the answer of GET /_scale/record."""
        chats = {int(k): int(v) for k, v in data["chats"].items()}
        return cls(chats, dict(data["stats"]), dict(data["window"]))

    @property
    def delivered(self) -> set[int]:
        """Chats that received the campaign at least once."""
        return set(self.chats)

    @property
    def twice(self) -> dict[int, int]:
        """Chats that received it more than once, with their counts."""
        return {chat: n for chat, n in self.chats.items() if n > 1}

    @property
    def rate_limited(self) -> int:
        """429 answers the emulator gave this token so far."""
        return int(self.stats.get("rate_limited", 0))


@dataclass(frozen=True)
class Summary:
    """One run's figures, as tests assert them and bench/scale.py prints them."""

    processes: int
    recipients: int
    paid: bool
    received: int  # distinct recipients who got it
    messages: int  # campaign messages the emulator accepted
    duplicates: int  # messages beyond the first per recipient
    recipients_twice: int
    rate_limited: int  # 429 answers
    msg_per_s: float  # mean over the emulator's first..last accepted send
    peak_1s: int  # most accepted sends in any 1-second window
    completion_s: float  # execute request -> execution settled, seen through the API
    status: str

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly."""
        return asdict(self)


def summarise(
    record: Record,
    *,
    processes: int,
    recipients: int,
    paid: bool,
    rate_limited_before: int,
    completion_s: float,
    status: str,
) -> Summary:
    """Fold the record of one run (429s counted since `rate_limited_before`) into figures."""
    twice = record.twice
    return Summary(
        processes=processes,
        recipients=recipients,
        paid=paid,
        received=len(record.chats),
        messages=sum(record.chats.values()),
        duplicates=sum(n - 1 for n in twice.values()),
        recipients_twice=len(twice),
        rate_limited=record.rate_limited - rate_limited_before,
        msg_per_s=round(float(record.window.get("mean") or 0.0), 2),
        peak_1s=int(record.window.get("peak_1s") or 0),
        completion_s=round(completion_s, 2),
        status=status,
    )
