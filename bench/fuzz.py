"""The long fuzz run (`make fuzz`): schemathesis' CLI against the live API, then its counts.

Starts the API on a free 127.0.0.1 port over a fresh SQLite database (the same server as
tests/api/test_fuzz.py), runs every phase (examples, coverage, fuzzing, stateful) with every
check, and prints one JSON line: cases generated, failures by check, 5xx answers, and the
server's error log (tracebacks). Exit code 1 when anything failed.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.api.live_server import LiveServer  # noqa: E402
from tests.api.test_fuzz import REJECTIONS  # noqa: E402

SERVER_ERROR = "ServerError"


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-examples", type=int, default=400, help="cases per operation")
    parser.add_argument("--seed", type=int, default=20241124)
    parser.add_argument("--max-time", type=int, default=420, help="seconds for the whole run")
    parser.add_argument("--report-dir", default=None, help="keep the CLI's reports here")
    return parser.parse_args()


def _config(directory: Path) -> Path:
    path = directory / "schemathesis.toml"
    statuses = ", ".join(f'"{status}"' for status in REJECTIONS)
    path.write_text(f"[checks.negative_data_rejection]\nexpected-statuses = [{statuses}]\n")
    return path


def _command(server: LiveServer, args: argparse.Namespace, report: Path) -> list[str]:
    return [
        str(ROOT / ".venv/bin/schemathesis"),
        "--config-file",
        str(_config(report.parent)),
        "run",
        server.spec_url,
        "--header",
        f"Authorization: Bearer {server.key}",
        "--checks",
        "all",
        "--mode",
        "all",
        "--max-examples",
        str(args.max_examples),
        "--seed",
        str(args.seed),
        "--generation-deterministic",
        "--generation-with-security-parameters",
        "false",
        "--suppress-health-check",
        "all",
        "--workers",
        "1",
        "--max-time",
        str(args.max_time),
        "--request-timeout",
        "10",
        "--report",
        "json",
        "--report-json-path",
        str(report),
        "--no-color",
    ]


def summarize(report: dict[str, Any], error_log: list[str]) -> dict[str, Any]:
    """Counts from schemathesis' JSON run report plus the server's own error log."""
    failures = report.get("failures", [])
    by_check = {f"{f['code']} {f['title']}": f["count"] for f in failures}
    server_errors = sum(f["count"] for f in failures if f["type"] == SERVER_ERROR)
    return {
        "bench": "fuzz",
        "cases": report["test_cases"]["generated"],
        "cases_with_failures": report["test_cases"]["with_failures"],
        "unique_failures": report["test_cases"]["unique_failures"],
        "failures_by_check": by_check,
        "failing_operations": {f"{f['code']}": f["operations"] for f in failures},
        "server_errors_5xx": server_errors,
        "server_error_log_lines": len(error_log),
        "operations_tested": report["operations"]["tested"],
        "seconds": round(report["running_time"], 1),
        "stop_reason": report["stop_reason"],
    }


def main() -> int:
    """Run the long fuzz and print its counts."""
    args = _arguments()
    report_dir = Path(args.report_dir or tempfile.mkdtemp(prefix="tgc_fuzz_"))
    report_dir.mkdir(parents=True, exist_ok=True)
    report_path = report_dir / "report.json"
    with LiveServer() as server:
        completed = subprocess.run(_command(server, args, report_path), check=False)
        error_log = server.error_log()
    (report_dir / "server_errors.log").write_text("\n\n".join(error_log))
    if not report_path.exists():
        print(json.dumps({"bench": "fuzz", "error": "schemathesis wrote no report"}))
        return 2
    report = json.loads(report_path.read_text())
    summary = summarize(report, error_log)
    summary["reports"] = str(report_dir)
    print(json.dumps(summary))
    return 0 if completed.returncode == 0 and not error_log else 1


if __name__ == "__main__":
    sys.exit(main())
