"""Free TCP ports for test and benchmark servers, away from the kernel's ephemeral range."""

from __future__ import annotations

import random
import socket
from pathlib import Path

_RANGE_FILE = Path("/proc/sys/net/ipv4/ip_local_port_range")


def _ephemeral_range() -> tuple[int, int]:
    try:
        low, high = (int(part) for part in _RANGE_FILE.read_text().split())
    except (OSError, ValueError):
        return 32768, 60999
    return low, high


def free_port(host: str = "127.0.0.1") -> int:
    """A port nobody listens on now, outside the ephemeral range.

    Why not port 0: a port the kernel hands out for a listener is drawn from the same range as
    the source ports of outgoing connections (to PostgreSQL, Redis, the emulator), so between
    this check and the server's own bind, another suite running beside this one could take it.
    """
    low, high = _ephemeral_range()
    outside = [p for p in range(10000, 30000) if not low <= p <= high]
    candidates = outside if len(outside) >= 200 else list(range(10000, 30000))
    for port in random.sample(candidates, 200):
        with socket.socket() as sock:
            try:
                sock.bind((host, port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free TCP port found between 10000 and 30000")
