"""Writes bench/RESULTS.md from the report bench/run.py collects (var/bench/report.json).

`python bench/report.py` rewrites RESULTS.md from the last report without measuring again.
"""

from __future__ import annotations

import json
import re
import statistics
import sys
from pathlib import Path
from typing import Any

BIG_TABLES = (
    "accounts_user",
    "mfa_factor",
    "audit_securityevent",
    "accounts_portalsession",
    "mfa_recoverycode",
)
SCALE_LIMIT = 1.2


def med(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def fmt(value: float, digits: int = 2) -> str:
    if value != value:  # NaN
        return "n/a"
    return f"{value:.{digits}f}"


def spread(values: list[float]) -> str:
    if len(values) < 2:
        return ""
    return f" ({fmt(min(values))}-{fmt(max(values))})"


def call_stats(data: dict[str, Any], name: str) -> dict[str, Any]:
    runs = data["runs"][name]
    ratios = data["ratios"].get(name, [])
    statuses: dict[str, int] = {}
    for run in runs:
        for code, n in run["statuses"].items():
            statuses[code] = statuses.get(code, 0) + n
    return {
        "rps": med([r["rps"] for r in runs]),
        "p50": med([r["p50_ms"] for r in runs]),
        "p99": med([r["p99_ms"] for r in runs]),
        "app": med([r["app_cpu_ms"] for r in runs]),
        "db": med([r["db_cpu_ms"] for r in runs]),
        "other": med([r["other_cores"] for r in runs]),
        "requests": sum(r["requests"] for r in runs),
        "statuses": statuses,
        "cost": [r["cost"] for r in ratios],
        "p50_ratio": [r["p50"] for r in ratios],
        "p99_ratio": [r["p99"] for r in ratios],
        "cpu_ratio": [r["cpu"] for r in ratios],
    }


def scale_ratios(small: dict[str, Any], scale: dict[str, Any], name: str) -> dict[str, float]:
    """1M against 1k per round (the two runs were seconds apart), median over rounds."""
    if name == "floor":
        cost: list[float] = []
    else:
        cost = [
            b["cost"] / a["cost"]
            for a, b in zip(small["ratios"][name], scale["ratios"][name], strict=False)
        ]
    runs = zip(small["runs"][name], scale["runs"][name], strict=False)
    pairs = [(a, b) for a, b in runs if a["rps"] and b["rps"]]
    return {
        "cost": med(cost),
        "cost_min": min(cost) if cost else float("nan"),
        "cost_max": max(cost) if cost else float("nan"),
        "raw": med([a["rps"] / b["rps"] for a, b in pairs]),
        "app": med([b["app_cpu_ms"] for _, b in pairs]) / med([a["app_cpu_ms"] for a, _ in pairs]),
    }


def verdict(ok: bool) -> str:
    return "**met**" if ok else "**missed**"


def machine_section(report: dict[str, Any]) -> list[str]:
    m = report["machine"]
    c = report["config"]
    other = [
        call_stats(ds, name)["other"] for ds in report["datasets"].values() for name in ds["runs"]
    ]
    lines = [
        "## Machine and run",
        "",
        "| | |",
        "|---|---|",
        f"| date | {m['date']} |",
        f"| commit | `{m['commit']}` |",
        f"| CPU | {m['cpu']} |",
        f"| memory | {m['memory']} |",
        f"| OS | {m['os']} |",
        f"| software | Python {m['python']}, Django {m['django']}, django-ninja "
        f"{m['django_ninja']}, gunicorn {m['gunicorn']}, psycopg {m['psycopg']}, "
        f"PostgreSQL {m['postgresql']} |",
        f"| server | `carekey serve --workers {c['workers']}` (gunicorn sync workers) on "
        "PostgreSQL, same machine |",
        f"| load | {m['wrk']}: 1 thread, {c['connections']} connections (one per worker), "
        f"{c['rounds']} rounds; each call {c['seconds']:.0f} s (or until its pool of fresh "
        f"factors/sessions is spent) between two {c['floor_seconds']:.0f} s floor runs |",
        f"| other work on the machine | {fmt(med(other), 2)} cores busy with processes that "
        "are neither the server, PostgreSQL nor wrk (median over runs; the machine has 2) |",
        f"| duration of `make bench` | {report.get('elapsed_s', 0) / 60:.1f} min |",
        "",
    ]
    return lines


def targets_section(report: dict[str, Any]) -> list[str]:
    small = report["datasets"]["1k"]
    scale = report["datasets"].get("1M")
    lines = [
        "## Targets",
        "",
        "Cost ratio = floor req/s ÷ call req/s, each call against the mean of the floor runs "
        "just before and after it; the median of the rounds (range in brackets). Scale "
        "ratio = the call's cost ratio at 1 000 000 patients ÷ its cost ratio at 1 000 in the "
        "same round (the two were measured seconds apart); the median of the rounds.",
        "",
        "| call | target | cost ratio at 1k | | scale ratio | ≤ 1.2 |",
        "|---|---|---|---|---|---|",
    ]
    for call in report["calls"][1:]:
        s = call_stats(small, call["name"])
        cost = med(s["cost"])
        target = call["target"]
        row = f"| {call['label']} | ≤ {target}x | {fmt(cost)}x{spread(s['cost'])} | "
        row += verdict(cost <= target) if target else ""
        if scale:
            ratio = scale_ratios(small, scale, call["name"])["cost"]
            row += f" | {fmt(ratio)} | {verdict(ratio <= SCALE_LIMIT)} |"
        else:
            row += " | not run | |"
        lines.append(row)
    lines.append("")
    return lines


def figures_section(data: dict[str, Any], title: str, report: dict[str, Any]) -> list[str]:
    lines = [
        f"## Figures at {title}",
        "",
        "Server CPU is per request, from /proc: the gunicorn workers (app) and the "
        "PostgreSQL backends of this database (db; approximate, a backend that ends "
        "mid-run takes its CPU with it).",
        "",
        "| call | req/s | p50 ms | p99 ms | app CPU ms | db CPU ms | cost x floor | "
        "p50 x floor | p99 x floor | CPU x floor | answers |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for call in report["calls"]:
        s = call_stats(data, call["name"])
        answers = ", ".join(f"{n}x {code}" for code, n in sorted(s["statuses"].items()))
        ratio_cells = (
            "1 | 1 | 1 | 1"
            if call["name"] == "floor"
            else " | ".join(fmt(med(s[k])) for k in ("cost", "p50_ratio", "p99_ratio", "cpu_ratio"))
        )
        lines.append(
            f"| {call['label']} | {fmt(s['rps'], 0)} | {fmt(s['p50'], 1)} | "
            f"{fmt(s['p99'], 1)} | {fmt(s['app'], 1)} | {fmt(s['db'], 1)} | "
            f"{ratio_cells} | {answers} |"
        )
    lines.append("")
    return lines


def verify_cpu_section(report: dict[str, Any]) -> list[str]:
    lines = [
        "## Server CPU per verify",
        "",
        "| call | database | app CPU ms | db CPU ms | total ms | x floor |",
        "|---|---|---|---|---|---|",
    ]
    for name, data in report["datasets"].items():
        for call in report["calls"]:
            if "verify" not in call["name"]:
                continue
            s = call_stats(data, call["name"])
            lines.append(
                f"| {call['label']} | {name} | {fmt(s['app'], 1)} | {fmt(s['db'], 1)} | "
                f"{fmt(s['app'] + s['db'], 1)} | {fmt(med(s['cpu_ratio']))} |"
            )
    lines.append("")
    return lines


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
        if call["name"] == "floor":
            lines.append(f"| {call['label']} | 1 | 1 | 1 | {fmt(r['raw'])} | {fmt(r['app'])} | |")
            continue
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
        "ANALYZE). Counts include BEGIN/COMMIT/SAVEPOINT; the server also sends one "
        "`SELECT 1` per request (CONN_HEALTH_CHECKS), not counted here. The query budgets "
        "are tests: tests/integration/test_query_budgets.py.",
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
    lines += [
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
    lines = ["## Profiles of the calls that miss their target", ""]
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


def argon2_section(report: dict[str, Any]) -> list[str]:
    a = report["argon2"]
    p, r = a["password"], a["recovery_code"]
    return [
        "## Sign-in cost: Argon2 (kept apart from the figures above)",
        "",
        "The benchmark's sessions are opened in-process (the same `login()` and "
        "`sessions.start()` as sign-in) so that no figure above includes a password hash.",
        "",
        "| hash | parameters | median ms | min-max ms |",
        "|---|---|---|---|",
        f"| password, `{p['hasher'].rsplit('.', 1)[-1]}` (hash) | {p['variant']}, time_cost="
        f"{p['time_cost']}, memory_cost={p['memory_cost_kib']} KiB "
        f"({p['memory_cost_kib'] / 1024:.0f} MiB), parallelism={p['parallelism']} | "
        f"{fmt(p['hash']['median_ms'], 0)} | {fmt(p['hash']['min_ms'], 0)}-"
        f"{fmt(p['hash']['max_ms'], 0)} |",
        f"| password (verify, i.e. one sign-in) | same | {fmt(p['verify']['median_ms'], 0)} | "
        f"{fmt(p['verify']['min_ms'], 0)}-{fmt(p['verify']['max_ms'], 0)} |",
        f"| recovery code (hash; ten per new set) | {r['variant']}, time_cost="
        f"{r['time_cost']}, memory_cost={r['memory_cost_kib']} KiB, parallelism="
        f"{r['parallelism']} | {fmt(r['hash']['median_ms'], 1)} | "
        f"{fmt(r['hash']['min_ms'], 1)}-{fmt(r['hash']['max_ms'], 1)} |",
        f"| recovery code (check against one stored hash) | same | "
        f"{fmt(r['verify_miss']['median_ms'], 1)} | {fmt(r['verify_miss']['min_ms'], 1)}-"
        f"{fmt(r['verify_miss']['max_ms'], 1)} |",
        "",
        f"At this cost one core signs in about {1000 / p['verify']['median_ms']:.1f} "
        f"patients a second ({a['cpu_count']} cores here).",
        "",
    ]


METHOD = """## Method

- **Load generator: wrk** (Debian's `wrk` package) with `bench/pool.lua`. It is written in C
  and spends well under a millisecond of CPU per request, so on a 2-core machine it leaves
  nearly all of the CPU to the server and PostgreSQL, where an async Python client would
  take a core for itself. Lua gives it what the calls need: a cookie and CSRF token per
  session, a fresh factor per right-code verify, and the TOTP code of the current 30 s
  step (precomputed per step by `bench/dbtool.py`, picked by `os.time()` at send time).
- **Floor**: `GET /api/v1/bench/floor` (`src/carekey/benchfloor.py`) behind the same
  middleware as every call (session, idle/absolute expiry, the access gate with its aal2
  and app-lock checks); it reads the session and answers 200. The floor runs between the
  calls on the same server, so each ratio compares neighbours in time.
- **Sessions** are made before measuring with Django's `login()` and CareKey's
  `sessions.start()` (what sign-in does after the password check), not by signing in over
  HTTP, so that Argon2 (measured on its own below) does not dominate the set-up.
- **Wrong codes** go to many patients, five each, N requests apart, so every answer is a
  checked 422 and none a 429 of the throttle (the answers column shows it). **Right codes**
  go to fresh factors, each verified once, one patient each (verifying a factor rotates
  the session and signs out the patient's other sessions). **Enroll** makes ten factors
  per patient, the cap. The session verify uses sessions waiting for their second step.
- **Page and list** use 16 patients with two verified factors and 20 audit events each.
- The calls that miss their target are profiled with py-spy afterwards, in a run of their
  own (profiling slows the server, so those runs give no figures).
- Both databases are served at once, each by its own `carekey serve`, and every call is
  measured on one and then the other, so the 1M-against-1k comparison is made under the
  same background load.
- The machine is shared and noisy: read the ratios, not the absolute figures.
"""


def write_results(report: dict[str, Any], path: Path) -> None:
    lines = [
        "# CareKey benchmark results",
        "",
        "Written by `make bench` (bench/run.py); do not edit by hand. Every figure comes "
        "from the run described below.",
        "",
    ]
    lines += machine_section(report)
    lines += targets_section(report)
    lines += figures_section(report["datasets"]["1k"], "1 000 patients", report)
    if "1M" in report["datasets"]:
        lines += figures_section(report["datasets"]["1M"], "1 000 000 patients", report)
    lines += verify_cpu_section(report)
    lines += scale_section(report)
    lines += profiles_section(report)
    lines += explain_section(report)
    lines += argon2_section(report)
    lines += [METHOD]
    path.write_text("\n".join(lines).rstrip() + "\n", encoding="utf-8")


if __name__ == "__main__":
    source = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("var/bench/report.json")
    write_results(json.loads(source.read_text()), Path(__file__).with_name("RESULTS.md"))
