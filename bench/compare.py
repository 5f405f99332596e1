"""Write bench/BEFORE-AFTER.md from two `make bench` reports of the same machine.

    python bench/compare.py BEFORE/report.json AFTER/report.json bench/BEFORE-AFTER.md

"Before" is a run of an earlier commit (issue 18's starting point); "after" is the run
behind bench/RESULTS.md. Only the 1 000-patient figures are compared. (Issue 9's table,
to CareKey's own floor, is in this file's history.)
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path
from typing import Any


def median_of(rounds: list[dict[str, float]], key: str) -> float:
    return statistics.median(r[key] for r in rounds)


def call_rows(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    lines = [
        "| call | target | cost ratio before | cost ratio after | app CPU ms before | "
        "app CPU ms after | database CPU ms before | database CPU ms after | "
        "queries before | queries after |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    b, a = before["datasets"]["1k"], after["datasets"]["1k"]
    for call in after["calls"]:
        name = call["name"]
        if name not in b["runs"]:
            continue
        target = f"≤ {call['target']:.1f}x" if call.get("target") else "—"
        cost = (
            (
                f"{median_of(b['ratios'][name], 'cost'):.2f}x",
                f"{median_of(a['ratios'][name], 'cost'):.2f}x",
            )
            if name in a["ratios"]
            else ("1", "1")
        )
        cpu = (
            statistics.median(r["app_cpu_ms"] for r in b["runs"][name]),
            statistics.median(r["app_cpu_ms"] for r in a["runs"][name]),
        )
        db = (
            statistics.median(r["db_cpu_ms"] for r in b["runs"][name]),
            statistics.median(r["db_cpu_ms"] for r in a["runs"][name]),
        )
        queries = (
            b.get("queries", {}).get(name, {}).get("queries", "?"),
            a.get("queries", {}).get(name, {}).get("queries", "?"),
        )
        lines.append(
            f"| {call['label']} | {target} | {cost[0]} | {cost[1]} | {cpu[0]:.1f} | "
            f"{cpu[1]:.1f} | {db[0]:.1f} | {db[1]:.1f} | {queries[0]} | {queries[1]} |"
        )
    return lines


def _rounds(report: dict[str, Any]) -> str:
    config = report["config"]
    return f"{config['rounds']} rounds of {config['seconds']:g} s"


def main(before_path: str, after_path: str, out_path: str) -> None:
    before = json.loads(Path(before_path).read_text())
    after = json.loads(Path(after_path).read_text())
    mb, ma = before["machine"], after["machine"]
    lines = [
        "# Benchmarks before and after the fixes",
        "",
        "Written by `bench/compare.py` from two `make bench` runs on the same machine, "
        "each with nothing else running; do not edit by hand. Cost ratio = the bare "
        "Django floor's req/s ÷ the call's req/s (median of the rounds, as in "
        "RESULTS.md); app CPU = gunicorn workers' CPU per request; database CPU = "
        "PostgreSQL's CPU per request; queries = "
        "statements per call as the query-budget tests count them (BEGIN, COMMIT and "
        "SAVEPOINT included). 1 000 patients.",
        "",
        "| | before | after |",
        "|---|---|---|",
        f"| commit | `{mb['commit']}` | `{ma['commit']}` |",
        f"| date | {mb['date']} | {ma['date']} |",
        f"| CPU | {mb['cpu']} | {ma['cpu']} |",
        f"| rounds | {before['config']['rounds']} | {after['config']['rounds']} |",
        "",
        *call_rows(before, after),
        "",
        "What changed (issue 18): no `SELECT 1` health check before each request's first "
        "query; the app-lock choice not read while the session was active within the last "
        "minute (no lock delay is shorter); the session row read with one fixed statement, "
        "a rotated session written once (Django's create() asked whether the key was taken, "
        "wrote an empty row, and the response wrote it again) and saved without a "
        "transaction around its one statement; the security page translates its labels "
        "once, not on every row; notification emails delivered on a thread after commit; "
        "OpenID client secrets (128 random characters) hashed with PBKDF2 instead of "
        "Argon2id. Then: on PostgreSQL a right code's claim, the factor's last use and the "
        "throttle refund in one statement, and a rotated session's new row replacing the "
        'old one in one statement; "first factor?" asked only under the lock, by the UPDATE '
        "that verifies; a first factor's two audit rows in one INSERT; a passkey challenge "
        "taken by one DELETE ... RETURNING; the factor reads, audit INSERTs and session "
        "INSERT as fixed statements rather than querysets compiled on each call; connected "
        "apps read by one UNION ALL; the security page's times written by one tag each. "
        "Then: the security page's activity rows written by one tag, its other reads "
        "(activity, devices, connected apps, app-lock choice, codes left) and every "
        "request's signed-in user read by fixed statements, and its app-lock form's "
        "widgets written in Python with Django's exact markup. Then: the security page's "
        "factor and device rows written by Python tags, its literal `{% translate %}` tags "
        "calling gettext without a lazy string, its fixed routes reversed once, its events "
        "read straight into what the patient sees, and the codes left read with the "
        "factors (one statement fewer).",
        f"Before: {_rounds(before)}; after: {_rounds(after)} (same machine).",
        "",
    ]
    Path(out_path).write_text("\n".join(lines))


if __name__ == "__main__":
    main(*sys.argv[1:4])
