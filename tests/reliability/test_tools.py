"""The report writer and the load generator's arithmetic, so `make reliability` cannot rot
between its runs: they are exercised here on made-up figures."""

from __future__ import annotations

import json
from pathlib import Path

import reliability.load as load
import reliability.report as report


def test_percentiles_are_nearest_rank() -> None:
    values = [float(n) for n in range(1, 101)]
    assert load.percentile(values, 50) == 50.0
    assert load.percentile(values, 99) == 99.0
    assert load.percentile([3.0], 99) == 3.0
    assert load.percentile([], 50) == 0.0


def test_the_summary_counts_requests_and_errors() -> None:
    recorder = load.Recorder()
    recorder.latencies["sign in"] += [0.1, 0.2, 0.3]
    recorder.statuses["sign in"][200] += 3
    recorder.flows = 1
    summary = load.summarise(recorder, elapsed=1.5)
    assert summary["requests"] == 3
    assert summary["requests_per_s"] == 2.0
    assert summary["steps"]["sign in"]["p50_ms"] == 200.0
    assert summary["server_errors"] == 0


def test_the_report_shows_every_part_and_fails_on_a_failed_part(tmp_path: Path) -> None:
    results = {
        "full": True,
        "tests": [
            {
                "nodeid": "tests/reliability/test_attack_csrf.py::test_x[a]",
                "outcome": "passed",
                "duration": 0.1,
                "xfail_reason": "",
            },
            {
                "nodeid": "tests/reliability/test_crash.py::test_y",
                "outcome": "xfailed",
                "duration": 0.1,
                "xfail_reason": "a reported bug",
            },
        ],
        "figures": {
            "fuzz": {
                "aal2": {
                    "GET /api/v1/session": {
                        "calls": 200,
                        "server_errors": 0,
                        "statuses": {"200": 200},
                        "undeclared": {},
                        "state_rebuilds": 0,
                    }
                }
            },
            "races": {"a race": {"accepted": 1, "statuses": {"200": 1, "429": 49}}},
        },
    }
    (tmp_path / "results.json").write_text(json.dumps(results))
    (tmp_path / "pytest.rc").write_text("0\n")
    out = tmp_path / "reliability.md"
    assert report.main(["--results", str(tmp_path), "--out", str(out)]) == 0
    text = out.read_text()
    assert "**200 examples, 0 answers with status 5xx.**" in text
    assert "**1 rows passed, 0 failed.**" in text
    assert "a race: **1 accepted**" in text
    assert "xfail (strict): a reported bug" in text
    (tmp_path / "load.rc").write_text("1\n")
    assert report.main(["--results", str(tmp_path), "--out", str(out)]) == 1
