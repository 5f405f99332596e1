"""The benchmark's profile counts each sample once, for the innermost guarantee it is in
(bench/profiles.py), and the report turns those shares into issue 18's table."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

BENCH = Path(__file__).resolve().parents[2] / "bench"


def bench_module(name: str) -> ModuleType:
    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))
    return importlib.import_module(name)


def frame(function: str, path: str) -> str:
    return f"{function} ({path}:1)"


REQUEST = frame("handle_request", "gunicorn/workers/sync.py")
VERIFY = frame("verify_enrollment", "carekey/mfa/factors.py")
LOCK = frame("mark_verified", "carekey/mfa/factors.py")
CODES = frame("store_recovery_codes", "carekey/mfa/recovery_codes.py")
AUDIT = frame("record_all", "carekey/audit/record.py")
WAIT = frame("wait", "psycopg/connection.py")


def test_each_sample_counts_once_for_its_innermost_guarantee(tmp_path: Path) -> None:
    raw = tmp_path / "call.py-spy.txt"
    raw.write_text(
        "\n".join(
            [
                f"process 1;{REQUEST};{VERIFY};{LOCK};{CODES};{WAIT} 30",  # codes, not lock
                f"process 1;{REQUEST};{VERIFY};{LOCK};{WAIT} 10",
                f"process 1;{REQUEST};{VERIFY};{AUDIT};{WAIT} 20",
                f"process 1;{REQUEST};{VERIFY} 40",
                f"process 1;{frame('accept', 'gunicorn/workers/sync.py')} 500",  # idle
            ]
        )
    )
    profile: dict[str, Any] = bench_module("profiles").summarize_profile(raw)
    assert profile["samples"] == 100
    expected = {"recovery_codes": 30.0, "first_factor_lock": 10.0, "audit": 20.0}
    assert profile["guarantees"] == expected


def test_the_report_lists_the_shares_and_the_cost_without_them() -> None:
    run = {
        "rps": 100.0,
        **{key: 1.0 for key in ("p50_ms", "p99_ms", "app_cpu_ms", "db_cpu_ms", "other_cores")},
        "requests": 500,
        "statuses": {"200": 500},
    }
    ratios = [{"cost": cost, "p50": 1.0, "p99": 1.0, "cpu": 1.0} for cost in (3.5, 4.0, 4.5)]
    report = {"datasets": {"1k": {"runs": {"x": [run]}, "ratios": {"x": ratios}}}}
    shares = {"guarantees": {"audit": 20.0, "throttle": 30.0}}
    lines: list[str] = bench_module("report_guarantees").guarantee_lines(report, "x", shares)
    text = "\n".join(lines)
    assert "| throttle |" in text and "| audit |" in text
    assert text.index("| throttle |") < text.index("| audit |")  # largest first
    assert "| **all of them** | | **50.0** |" in text
    assert "costs 4.00x the bare floor" in text and "about 2.00x" in text
    assert bench_module("report_guarantees").guarantee_lines(report, "x", {}) == []


def test_marking_the_factor_verified_inside_the_lock_is_no_guarantee(tmp_path: Path) -> None:
    mark = frame("_verify_counting_others", "carekey/mfa/factors.py")
    raw = tmp_path / "call.py-spy.txt"
    raw.write_text(f"process 1;{REQUEST};{VERIFY};{LOCK};{mark};{WAIT} 7\nprocess 1;{REQUEST} 3")
    profile: dict[str, Any] = bench_module("profiles").summarize_profile(raw)
    assert profile["guarantees"] == {}


def test_every_guarantee_names_a_function_that_exists() -> None:
    """A renamed function would silently drop its guarantee's row from the report."""
    profiles = bench_module("profiles")
    keys = [key for keys in profiles.GUARANTEES.values() for key in keys]
    for key in [*keys, *profiles.NOT_GUARANTEES]:
        parts = key.split(".")
        for split in range(len(parts) - 1, 0, -1):
            try:
                found: Any = importlib.import_module(".".join(parts[:split]))
            except ModuleNotFoundError:
                continue
            for name in parts[split:]:
                found = getattr(found, name)
            assert callable(found), key
            break
        else:
            raise AssertionError(f"no module for {key}")
