"""The longer sections of bench/RESULTS.md: scale, profiles, queries and their plans."""

from __future__ import annotations

import re
from typing import Any

from report_guarantees import guarantee_lines
from report_stats import SCALE_LIMIT, call_stats, fmt, med, scale_ratios, verdict

BIG_TABLES = (
    "accounts_user",
    "mfa_factor",
    "audit_securityevent",
    "accounts_portalsession",
    "mfa_recoverycode",
)


def scale_section(report: dict[str, Any]) -> list[str]:
    scale = report["datasets"].get("1M")
    if not scale:
        return ["## Scale", "", "Not run (BENCH_SKIP_SCALE=1).", ""]
    small = report["datasets"]["1k"]
    seed = scale["seed"]
    counts = scale["counts"]
    how = (
        "reused from an earlier run (same counts; BENCH_RESEED=1 seeds anew)"
        if seed.get("reused")
        else (
            f"seeded in {seed['total_s']:.0f} s (patients {seed['patients_s']:.0f} s, "
            f"factors {seed['factors_s']:.0f} s, events {seed['events_s']:.0f} s, "
            f"indexes and keys rebuilt {seed['indexes_s']:.0f} s, VACUUM ANALYZE "
            f"{seed['vacuum_analyze_s']:.0f} s)"
        )
    )
    lines = [
        "## Scale: 1 000 000 patients against 1 000",
        "",
        f"The scale database holds {counts['accounts_user']:,} users, "
        f"{counts['mfa_factor']:,} factors and {counts['audit_securityevent']:,} audit "
        f"events, {how}. One statement per table, over `generate_series`, copies a "
        "template row made by the ORM (one Argon2 hash and one Fernet ciphertext shared by "
        "all rows); secondary indexes and keys are dropped for the load and rebuilt from "
        "their catalogue definitions, i.e. exactly those of the migrations. One factor in "
        "a hundred is an expired, abandoned enrollment. The 1k database is seeded the same "
        "way with 1 000 / 1 500 / 10 000.",
        "",
        "Both databases are served side by side (two `carekey serve`, one port each) and "
        "measured interleaved: each call at 1M runs seconds after the same call at 1k. "
        "Cost ratios are to the bare floor (CareKey's own floor is a row of its own). "
        "*1M ÷ 1k* is the floor-normalised cost ratio at 1M over that at 1k, per round, "
        "median (range); *raw* is req/s at 1k over req/s at 1M in the same round; *app CPU* "
        "is the workers' CPU per request at 1M over that at 1k.",
        "",
        "| call | cost ratio 1k | cost ratio 1M | 1M ÷ 1k | raw req/s 1k ÷ 1M | app CPU 1M ÷ 1k "
        "| ≤ 1.2 |",
        "|---|---|---|---|---|---|---|",
    ]
    for call in report["calls"]:
        r = scale_ratios(small, scale, call["name"])
        ca = med(call_stats(small, call["name"])["cost"])
        cb = med(call_stats(scale, call["name"])["cost"])
        lines.append(
            f"| {call['label']} | {fmt(ca)} | {fmt(cb)} | {fmt(r['cost'])} "
            f"({fmt(r['cost_min'])}-{fmt(r['cost_max'])}) | {fmt(r['raw'])} | "
            f"{fmt(r['app'])} | {verdict(r['cost'] <= SCALE_LIMIT)} |"
        )
    lines.append("")
    return lines


def _shape(sql: str) -> str:
    """The statement without its literals, to show each kind of statement once."""
    return re.sub(r"'[^']*'|\b\d+\b", "?", " ".join(sql.split()))


def _short(sql: str, width: int = 150) -> str:
    text = " ".join(sql.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def explain_section(report: dict[str, Any]) -> list[str]:
    key = "1M" if "1M" in report["datasets"] else "1k"
    queries = report["datasets"][key]["queries"]
    seq_big: list[str] = []
    lines = [
        f"## Queries and EXPLAIN at {key} patients",
        "",
        "Each call made once in-process against the benchmark database (Django test "
        "client, same settings); every statement captured and EXPLAINed (SELECTs with "
        "ANALYZE). Counts include BEGIN/COMMIT/SAVEPOINT (the server sends no `SELECT 1` "
        "health check since issue 18). The query budgets are tests: "
        "tests/integration/test_query_budgets.py.",
        "",
        "| call | statements | scans (SELECT/UPDATE/DELETE) |",
        "|---|---|---|",
    ]
    for name, item in queries.items():
        scans = []
        for entry in item["explained"]:
            for scan in entry["scans"]:
                scans.append(scan.split(" (actual")[0])
                if scan.startswith("Seq Scan") and any(t in scan for t in BIG_TABLES):
                    seq_big.append(f"{name}: {scan}: `{_short(entry['sql'], 200)}`")
        unique = sorted(set(scans))
        lines.append(f"| {name} | {item['queries']} | {'; '.join(unique)} |")
    lines.append("")
    if seq_big:
        lines += ["**Sequential scans on large tables:**", ""]
        lines += [f"- {s}" for s in seq_big]
    else:
        lines.append(
            "No statement of these calls scans a large table (users, factors, events, "
            "sessions, recovery codes) sequentially."
        )
    return [*lines, *_plans(queries)]


def _plans(queries: dict[str, Any]) -> list[str]:
    """Each statement shape once, with its plan, in the order first met."""
    lines = [
        "",
        "<details><summary>Plans (each statement shape once, in the order first met)</summary>",
        "",
    ]
    shown: set[str] = set()
    for name, item in queries.items():
        lines.append(f"### {name}")
        lines.append("")
        for entry in item["explained"]:
            shape = _shape(entry["sql"])
            if not entry["plan"] or shape in shown:
                continue
            shown.add(shape)
            lines.append(f"`{_short(entry['sql'])}`")
            lines.append("")
            lines.append("```")
            lines += entry["plan"]
            lines.append("```")
            lines.append("")
    lines += ["</details>", ""]
    return lines


def profiles_section(report: dict[str, Any]) -> list[str]:
    profiles = report.get("profiles") or {}
    lines = ["## Profiles of CareKey's calls that miss their target (issue 18's)", ""]
    if report["config"].get("quick"):
        return [*lines, "Not profiled (BENCH_QUICK=1).", ""]
    if not profiles:
        return [*lines, "Every target was met: nothing to profile.", ""]
    lines += [
        "py-spy (`record --subprocesses --nonblocking`, 200 Hz) over every gunicorn worker "
        "while wrk drives the call at 1k patients; only samples inside a request count. "
        "*Inclusive* is the share of request time spent in a CareKey function and what it "
        "calls; *where the time goes* is the share by the package of the innermost frame "
        "(psycopg: waiting on PostgreSQL round trips). `sessions.is_signed_in` is where the "
        "session is first read, so it carries the session's load from the database; "
        "`applock.services.lock_seconds` is the app-lock preference read on every request.",
        "",
    ]
    labels = {c["name"]: c["label"] for c in report["calls"]}
    for name, profile in profiles.items():
        lines.append(f"### {labels.get(name, name)}")
        lines.append("")
        if "error" in profile:
            lines += [profile["error"], ""]
            continue
        lines.append(f"{profile['samples']} samples.")
        lines.append("")
        lines.append("| CareKey function (inclusive) | % | where the time goes | % |")
        lines.append("|---|---|---|---|")
        ours = [o for o in profile["ours"] if "middleware" not in o[0]][:8]
        leaf = profile["leaf"][:8]
        for i in range(max(len(ours), len(leaf))):
            a = ours[i] if i < len(ours) else ("", "")
            b = leaf[i] if i < len(leaf) else ("", "")
            lines.append(f"| {a[0]} | {a[1]} | {b[0]} | {b[1]} |")
        lines.append("")
        lines += guarantee_lines(report, name, profile)
    micro = report.get("micro") or {}
    if micro:
        lines += [
            "### Before and after, for the slow parts the first profiles pointed at",
            "",
            "Each piece as it was before the fixes (rebuilt in bench/dbtool.py) and as the "
            "product does it now, timed in the same process (median). The whole-call before "
            "and after is in bench/BEFORE-AFTER.md.",
            "",
            "| piece | median ms | min ms |",
            "|---|---|---|",
        ]
        for label, t in micro.items():
            lines.append(f"| {label} | {fmt(t['median_ms'], 2)} | {fmt(t['min_ms'], 2)} |")
        lines.append("")
    return lines
