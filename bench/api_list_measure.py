"""One measured run of bench/api_list.py: warmup, load, CPU accounting and the result line."""

from __future__ import annotations

import argparse
import math
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench.api_list_load import Picker, Stats, drive, kinds_of, run_client
from bench.api_list_seed import log
from bench.api_list_server import loop_name

if TYPE_CHECKING:
    from bench.api_list_server import Server

TARGET_P99_MS = 25.0
TARGET_RPS = 1000.0


def measure(
    args: argparse.Namespace,
    backend: str,
    prepared: dict[str, Any],
    server: Server,
    workers: int,
) -> dict[str, Any]:
    """Warm up, then load the running server for --duration seconds; the result line."""
    base = f"http://127.0.0.1:{server.port}"
    loop = loop_name(args.loop)
    log(f"{workers} server process(es) on {base} (loop {loop}); warmup {args.warmup}s")
    picker = Picker(kinds_of(args))
    key = prepared["key"]
    if args.quiet_wait > 0:
        wait_for_quiet_host(args.quiet_wait)
    if args.warmup > 0:
        warm, _ = run_client(drive(base, key, picker, args.concurrency, args.warmup, 7, True))
        n_warm = sum(len(v) for v in warm.latency.values())
        log(f"warmup: {n_warm} ok, {sum(warm.errors.values())} errors {warm.samples}")
    spy = start_py_spy(args, server.pid)
    if args.server_cprofile:
        server.signal(signal.SIGUSR1)
    load0, host0 = os.getloadavg()[0], host_cpu()
    cpu0, client0, wall0 = server.cpu_seconds(), time.process_time(), time.perf_counter()
    stats, elapsed = run_client(
        drive(base, key, picker, args.concurrency, args.duration, args.seed, False)
    )
    cpu1, client1, wall1 = server.cpu_seconds(), time.process_time(), time.perf_counter()
    host1 = host_cpu()
    if args.server_cprofile:
        server.signal(signal.SIGUSR2)
    if spy is not None:
        try:
            spy.wait(timeout=args.duration + 30)
        except subprocess.TimeoutExpired:
            spy.terminate()
            spy.wait()
        log(f"py-spy profile written to {args.py_spy}")
    if stats.samples:
        log(f"error samples: {stats.samples}")
    result = summarize(args, backend, prepared, stats, elapsed)
    wall = wall1 - wall0
    n = result["requests"]
    result.update(
        workers=workers,
        loop=loop,
        duration_s=round(elapsed, 2),
        server_cpu_pct=round(100 * (cpu1 - cpu0) / wall, 1),
        server_cpu_ms_per_req=round(1000 * (cpu1 - cpu0) / n, 3) if n else None,
        client_cpu_pct=round(100 * (client1 - client0) / wall, 1),
        # Whole machine (100 = every core busy) and the 1-min load average before the
        # measured phase: high values with low server+client CPU mean outside interference.
        host_cpu_busy_pct=round(100 * (host1[0] - host0[0]) / max(1e-9, host1[1] - host0[1]), 1),
        cores=os.cpu_count(),
        loadavg_before=round(load0, 2),
        analyzed=prepared["analyzed"],
        targets={
            "p99_ms": TARGET_P99_MS,
            "req_per_s": TARGET_RPS,
            "met": result["p99_ms"] <= TARGET_P99_MS and result["req_per_s"] >= TARGET_RPS,
        },
    )
    if "breakdown" in prepared:
        result["breakdown_ms"] = prepared["breakdown"]
    return result


def summarize(
    args: argparse.Namespace, backend: str, prepared: dict[str, Any], stats: Stats, elapsed: float
) -> dict[str, Any]:
    """The latency and throughput part of the result line."""
    everything = sorted(v for values in stats.latency.values() for v in values)
    errors = sum(stats.errors.values())
    by_kind = {}
    for kind in sorted(set(stats.latency) | set(stats.errors)):
        values = sorted(stats.latency.get(kind, []))
        by_kind[kind] = {
            "p50_ms": ms(pct(values, 0.50)),
            "p90_ms": ms(pct(values, 0.90)),
            "p99_ms": ms(pct(values, 0.99)),
            "max_ms": ms(values[-1]) if values else 0.0,
            "n": len(values),
            "errors": stats.errors.get(kind, 0),
        }
    total = len(everything) + errors
    return {
        "bench": "api_list",
        "backend": backend,
        "campaigns": args.campaigns,
        "concurrency": args.concurrency,
        "requests": total,
        "errors": errors,
        "req_per_s": round(len(everything) / elapsed, 1) if elapsed else 0.0,
        "p50_ms": ms(pct(everything, 0.50)),
        "p90_ms": ms(pct(everything, 0.90)),
        "p99_ms": ms(pct(everything, 0.99)),
        "max_ms": ms(everything[-1]) if everything else 0.0,
        "by_kind": by_kind,
        "seed_s": round(prepared["seed_s"], 2),
    }


def start_py_spy(args: argparse.Namespace, pid: int) -> subprocess.Popen[bytes] | None:
    """With --py-spy: `py-spy record` of the server for the measured phase."""
    if not args.py_spy:
        return None
    exe = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(exe).exists():
        raise SystemExit("py-spy not found: .venv/bin/pip install py-spy")
    fmt = {".svg": "flamegraph", ".json": "speedscope"}.get(Path(args.py_spy).suffix, "raw")
    cmd = [
        exe,
        "record",
        "--pid",
        str(pid),
        "--duration",
        str(max(1, int(args.duration))),
        "--rate",
        str(args.py_spy_rate),
        "--format",
        fmt,
        "--output",
        args.py_spy,
        "--nonblocking",
    ]
    if args.py_spy_idle:
        cmd.append("--idle")
    if args.py_spy_gil:
        cmd.append("--gil")
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=sys.stderr)


def host_cpu() -> tuple[float, float]:
    """(busy, total) jiffies of all CPUs from /proc/stat."""
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    idle = values[3] + values[4]
    return float(sum(values) - idle), float(sum(values))


def wait_for_quiet_host(limit: float, threshold: float = 25.0) -> None:
    """On a shared machine: wait (up to `limit` s) for a 2 s window with host CPU < threshold %."""
    deadline = time.monotonic() + limit
    busy = 100.0
    while time.monotonic() < deadline:
        a = host_cpu()
        time.sleep(2)
        b = host_cpu()
        busy = 100 * (b[0] - a[0]) / max(1e-9, b[1] - a[1])
        if busy < threshold:
            log(f"host quiet ({busy:.0f}% busy); measuring")
            return
    log(f"host still {busy:.0f}% busy after {limit:.0f}s; measuring anyway")


def median(values: list[float]) -> float:
    """The middle value (the upper one of an even count); 0 for none."""
    ordered = sorted(values)
    return ordered[len(ordered) // 2] if ordered else 0.0


def pct(ordered: list[float], q: float) -> float:
    """The q-quantile (nearest rank) of sorted values; 0 for none."""
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def ms(seconds: float) -> float:
    """Seconds as milliseconds, to the microsecond."""
    return round(seconds * 1000, 3)
