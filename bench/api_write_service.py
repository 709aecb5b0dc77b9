"""`python -m webhook_server` with SQL transaction timing, for bench/api_write.py --trace.

Every transaction is followed on its driver connection: how long its first write statement
took (on SQLite: waiting for the writer lock, busy_timeout polling included), how long the
write lock was then held (first write done -> COMMIT done), how long COMMIT took, and the
statements in between. Grouped by the first write ("INSERT campaigns", "UPDATE deliveries"...),
a summary is printed as `bench-trace ...` lines on stderr when the service stops.
"""

from __future__ import annotations

import atexit
import os
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import event  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402
from sqlalchemy.engine.default import DefaultDialect  # noqa: E402

WRITES = ("INSERT", "UPDATE", "DELETE")
# label -> lists of (wait, hold, commit) seconds, statements per transaction
SAMPLES: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
STATE: dict[int, dict[str, Any]] = {}
SLOW_S = 0.05
SLOW: dict[str, list[float]] = defaultdict(list)  # statement head -> durations over SLOW_S


def _label(statement: str) -> str:
    words = statement.split()
    verb = words[0].upper()
    table = next((w for w in words[1:4] if w.upper() not in ("INTO", "OR", "IGNORE")), "?")
    return verb + " " + table.strip('"')


@event.listens_for(Engine, "before_cursor_execute")
def _before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
    state = STATE.setdefault(id(conn.connection.dbapi_connection), {})
    state["t0"] = time.perf_counter()
    state["statements"] = state.get("statements", 0) + 1


@event.listens_for(Engine, "after_cursor_execute")
def _after(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
    state = STATE[id(conn.connection.dbapi_connection)]
    now = time.perf_counter()
    if now - state["t0"] > SLOW_S:
        SLOW[" ".join(statement.split())[:110]].append(now - state["t0"])
    if "first_write_done" in state:
        state["in_sql"] = state.get("in_sql", 0.0) + now - state["t0"]
    elif statement.lstrip()[:6].upper() in WRITES:
        state["label"] = _label(statement)
        state["wait"] = now - state["t0"]
        state["first_write_done"] = now


def _end(kind: str, original: Any) -> Any:
    def timed(self: Any, dbapi_connection: Any) -> None:
        t0 = time.perf_counter()
        try:
            original(self, dbapi_connection)
        finally:
            now = time.perf_counter()
            raw = getattr(dbapi_connection, "dbapi_connection", dbapi_connection)
            state = STATE.pop(id(raw), {})
            if "first_write_done" in state:
                group = SAMPLES[f"{state['label']} ({kind})"]
                group["wait"].append(state["wait"])
                group["hold"].append(now - state["first_write_done"])
                group["end"].append(now - t0)
                group["statements"].append(state["statements"])
                group["in_sql"].append(state.get("in_sql", 0.0) + now - t0)

    return timed


DefaultDialect.do_commit = _end("commit", DefaultDialect.do_commit)  # type: ignore[method-assign]
DefaultDialect.do_rollback = _end("rollback", DefaultDialect.do_rollback)  # type: ignore[method-assign]


def _q(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


@atexit.register
def report() -> None:
    """The summary, one line per group, most total hold time first."""
    groups = sorted(SAMPLES.items(), key=lambda kv: -sum(kv[1]["hold"]))
    head = "n | wait p50/p99/max ms | hold p50/p99/max ms | end p99 | stmts | hold in SQL calls"
    out = [f"bench-trace group: {head}"]
    for label, g in groups:
        w, h = g["wait"], g["hold"]
        out.append(
            f"bench-trace {label}: {len(w)}"
            f" | {_q(w, 0.5):.1f}/{_q(w, 0.99):.1f}/{max(w) * 1000:.0f}"
            f" | {_q(h, 0.5):.1f}/{_q(h, 0.99):.1f}/{max(h) * 1000:.0f}"
            f" | {_q(g['end'], 0.99):.1f} | {sum(g['statements']) / len(w):.1f}"
            f" | {sum(g['in_sql']) / max(1e-9, sum(h)):.0%}"
        )
    out.append(f"bench-trace statements over {SLOW_S * 1000:.0f} ms: n | max ms | statement")
    for head, values in sorted(SLOW.items(), key=lambda kv: -sum(kv[1]))[:12]:
        out.append(f"bench-trace slow {len(values)} | {max(values) * 1000:.0f} | {head}")
    print("\n".join(out), file=sys.stderr, flush=True)


if os.environ.get("BENCH_NO_GATE"):  # A/B against SQLite's own busy_timeout queue
    import storage.db

    storage.db.GatedConnection._enter = lambda self, sql: None  # type: ignore[method-assign]

if __name__ == "__main__":
    from webhook_server import main

    main([])
