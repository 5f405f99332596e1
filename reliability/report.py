"""Writes docs/reliability.md from what `make reliability` measured.

    python -m reliability.report [--results var/reliability] [--out docs/reliability.md]

Reads <results>/results.json (the pytest run of tests/reliability, with the figures the
tests recorded), <results>/load.json (reliability/load.py) and the exit codes in
<results>/*.rc. Exits non-zero when any part failed, after writing the report.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from reliability.machine import describe_machine

ATTACKS = {
    "test_attack_csrf": "CSRF on every unsafe page and API route",
    "test_attack_idor": "Cross-patient access (IDOR)",
    "test_attack_oidc": "OpenID Connect: redirect URIs, mix-up (iss), fuzzed parameters",
    "test_attack_xss": "Stored XSS (names, user agents, emails)",
    "test_attack_redirects": "Open redirects through `next`",
    "test_attack_session_fixation": "Session fixation (id rotation)",
    "test_attack_headers": "Clickjacking and CSP on every page",
    "test_attack_secrets": "Secrets absent after enrollment",
    "test_attack_throttle": "Throttling not bypassed; trusted proxies only",
    "test_attack_script_name": "A client-sent SCRIPT_NAME moves no gate decision",
    "test_attack_passkeys": "Passkeys under concurrency (challenges, counters, throttle)",
    "test_attack_password": "Password change and reset: throttle, per-address limit, link races",
}
PARTS = {
    "test_fuzz_openapi": "OpenAPI fuzzing (Schemathesis)",
    "test_openapi_declares": "OpenAPI document declares the gate's statuses",
    "test_two_servers": "Two servers over one PostgreSQL",
    "test_outage": "Database outage",
    "test_cache_outage": "Redis (cache) outage",
    "test_crash": "Crash (SIGKILL) mid-write",
    "test_sqlite_concurrency": "SQLite under concurrency",
    "test_throttle_concurrency": "Throttle under bursts (4 workers, PostgreSQL)",
    **ATTACKS,
}


def _module(nodeid: str) -> str:
    return nodeid.split("::")[0].rsplit("/", 1)[-1].removesuffix(".py")


def _table(header: list[str], rows: list[list[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return [*lines, ""]


def _outcomes(tests: list[dict[str, Any]]) -> dict[str, Counter[str]]:
    by_module: dict[str, Counter[str]] = defaultdict(Counter)
    for test in tests:
        by_module[_module(test["nodeid"])][test["outcome"]] += 1
    return by_module


def _count(counter: Counter[str]) -> str:
    parts = [f"{counter[k]} {k}" for k in ("passed", "failed", "xfailed", "xpassed") if counter[k]]
    return ", ".join(parts) or "not run"


def section_summary(results: dict[str, Any], load: dict[str, Any] | None) -> list[str]:
    outcomes = _outcomes(results.get("tests", []))
    rows = [[title, _count(outcomes.get(module, Counter()))] for module, title in PARTS.items()]
    if load:
        r = load["results"]
        errors = r["server_errors"] + r["unexpected_4xx"] + r["connection_errors"]
        rows.append(["Sustained load", f"{r['requests']} requests, {errors} errors"])
    return ["## Summary", "", *_table(["part", "result"], rows)]


def section_fuzz(results: dict[str, Any]) -> list[str]:
    fuzz = results.get("figures", {}).get("fuzz", {})
    if not fuzz:
        return ["## OpenAPI fuzzing", "", "Not run.", ""]
    rows, total, errors = [], 0, 0
    undeclared: Counter[str] = Counter()
    for state, operations in fuzz.items():
        for label, tally in sorted(operations.items()):
            total += tally["calls"]
            errors += tally["server_errors"]
            statuses = ", ".join(f"{s}x{n}" for s, n in tally["statuses"].items())
            rows.append([state, f"`{label}`", tally["calls"], tally["server_errors"], statuses])
            for key, n in tally["undeclared"].items():
                undeclared[f"`{label}` answers {key}"] += n
    lines = [
        "## OpenAPI fuzzing",
        "",
        "Schemathesis generates valid and invalid requests from `/api/v1/openapi.json` for",
        "every operation, signed in at aal2, at aal1 (a code still owed) and locked; path ids",
        "are aimed at the patient's own factor and at another patient's. Each answer is held",
        "to no 5xx, the documented status codes, content types, headers and response schemas,",
        "the rejection of invalid data, and the one error format of CONTRACT §3.",
        "",
        f"**{total} examples, {errors} answers with status 5xx.**",
        "",
        *_table(["state", "operation", "examples", "5xx", "statuses"], rows),
    ]
    if undeclared:
        lines += [
            "Answers that follow CONTRACT §3 but whose status the OpenAPI document does not",
            "list for the operation (the access gate's 401/403/423, validation 422):",
            "",
            *[f"- {key} ({n}x)" for key, n in sorted(undeclared.items())],
            "",
        ]
    return lines


def section_attacks(results: dict[str, Any]) -> list[str]:
    outcomes = _outcomes(results.get("tests", []))
    rows = [[title, _count(outcomes.get(module, Counter()))] for module, title in ATTACKS.items()]
    passed = sum(outcomes.get(m, Counter())["passed"] for m in ATTACKS)
    failed = sum(outcomes.get(m, Counter())["failed"] for m in ATTACKS)
    return [
        "## Attack matrix",
        "",
        f"**{passed} rows passed, {failed} failed.** Each row is one test in `tests/reliability/`.",
        "",
        *_table(["attack", "rows"], rows),
    ]


def section_servers(results: dict[str, Any]) -> list[str]:
    figures = results.get("figures", {})
    lines = ["## Several servers and races", ""]
    tests = [t for t in results.get("tests", []) if _module(t["nodeid"]) == "test_two_servers"]
    rows = [[_behaviour(t["nodeid"]), t["outcome"]] for t in tests]
    lines += _table(["behaviour", "outcome"], rows)
    for name, race in figures.get("races", {}).items():
        statuses = ", ".join(f"{s}x{n}" for s, n in sorted(race["statuses"].items()))
        lines.append(f"- {name}: **{race['accepted']} accepted**; answers {statuses}")
    for name, tallies in figures.get("throttle_bursts", {}).items():
        rounds = "; then ".join(
            ", ".join(f"{s}x{n}" for s, n in sorted(t.items())) for t in tallies
        )
        lines.append(f"- {name}: answers {rounds}")
    if figures.get("races"):
        lines += [
            "",
            "A 422 was checked and refused (the code was already used); a 429 was refused",
            "unchecked by the account's throttle. Every check is reserved in the database",
            "before it runs, so a burst gets at most five checked, then one per wait.",
        ]
    return [*lines, ""]


def _behaviour(nodeid: str) -> str:
    return nodeid.split("::")[-1].removeprefix("test_").replace("_", " ")


def section_failures(results: dict[str, Any]) -> list[str]:
    figures = results.get("figures", {})
    lines = ["## Database outage, crashes, SQLite", ""]
    outage = figures.get("outage", {})
    if outage:
        lines += ["While PostgreSQL was unreachable:", ""]
        lines += _table(["request", "status"], [[k, v] for k, v in outage.items()])
    if "outage_mid_flight" in figures:
        lines.append(f"- Cut twice under six busy clients: answers {figures['outage_mid_flight']}.")
    if "outage_log_statuses" in figures:
        lines.append(f"- Statuses in the server's access log: {figures['outage_log_statuses']}.")
    for key, value in figures.get("crash", {}).items():
        lines.append(f"- Crash: {key}: {value}.")
    if "sqlite" in figures:
        lines.append(f"- SQLite, concurrent writers: {figures['sqlite']}.")
    return [*lines, ""]


def section_load(load: dict[str, Any] | None) -> list[str]:
    if not load:
        return ["## Sustained load", "", "Not run.", ""]
    c, r = load["config"], load["results"]
    rows = [
        [name, s["count"], s["p50_ms"], s["p99_ms"], s["max_ms"]] for name, s in r["steps"].items()
    ]
    lines = [
        "## Sustained load",
        "",
        f"{c['patients']} simulated patients for {c['seconds']:.0f} s against "
        f"`carekey serve --workers {c['workers']}` on {c['database']}, the load generator on "
        f"the same machine (load average before: {c['load_average_before']}; the machine is "
        "shared, so other work competes for the same cores). Each flow: sign in, enroll, "
        "verify (ten recovery codes), reauthenticate, remove, app lock on, lock, unlock with "
        "the password, sign out; Argon2 password checks set the pace.",
        "",
        f"- **{r['requests']} requests, {r['requests_per_s']} requests/s, "
        f"{r['flows_completed']} whole flows ({r['flows_per_s']}/s)**",
        f"- latency over all requests: p50 {r['p50_ms']} ms, p99 {r['p99_ms']} ms",
        f"- errors: **{r['server_errors']} 5xx, {r['unexpected_4xx']} unexpected 4xx, "
        f"{r['connection_errors']} connection errors**; patients stopped by an error: "
        f"{r['patients_abandoned']}",
        "",
        *_table(["step", "requests", "p50 ms", "p99 ms", "max ms"], rows),
    ]
    return lines + [f"- `{s}`" for s in r["error_samples"]] + [""]


def section_known(results: dict[str, Any]) -> list[str]:
    known = sorted({t["xfail_reason"] for t in results.get("tests", []) if t["xfail_reason"]})
    failed = [t["nodeid"] for t in results.get("tests", []) if t["outcome"] == "failed"]
    lines = ["## Open findings", ""]
    lines += [f"- xfail (strict): {reason}" for reason in known] or ["- none"]
    lines += [f"- FAILED: `{nodeid}`" for nodeid in failed]
    return [*lines, ""]


def render(results: dict[str, Any], load: dict[str, Any] | None, rcs: dict[str, int]) -> str:
    machine = describe_machine()
    size = "full (`CAREKEY_RELIABILITY_FULL=1`)" if results.get("full") else "bounded (CI size)"
    lines = [
        "# CareKey reliability",
        "",
        "Regenerated by `make reliability` (reliability/report.py); do not edit by hand.",
        "",
        f"- date: {machine['date']}",
        f"- machine: `{machine['uname']}`; {machine['cpus']} CPUs ({machine['cpu_model']}), "
        f"{machine['memory']}; load average at the end {machine['load_average']}",
        f"- software: Python {machine['python']}, PostgreSQL {machine['postgresql']}",
        f"- commit: {machine['commit']}",
        f"- size of the run: {size}; exit codes {rcs}",
        "",
    ]
    lines += section_summary(results, load)
    lines += section_fuzz(results)
    lines += section_attacks(results)
    lines += section_servers(results)
    lines += section_failures(results)
    lines += section_load(load)
    lines += section_known(results)
    return "\n".join(lines).rstrip() + "\n"


def _read(path: Path) -> dict[str, Any] | None:
    return dict(json.loads(path.read_text())) if path.exists() else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write docs/reliability.md.")
    parser.add_argument("--results", type=Path, default=Path("var/reliability"))
    parser.add_argument("--out", type=Path, default=Path("docs/reliability.md"))
    args = parser.parse_args(argv)
    results = _read(args.results / "results.json") or {}
    load = _read(args.results / "load.json")
    rcs = {p.stem: int(p.read_text().strip() or 1) for p in sorted(args.results.glob("*.rc"))}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(render(results, load, rcs))
    print(f"wrote {args.out}")
    return 1 if any(rcs.values()) or not results else 0


if __name__ == "__main__":
    sys.exit(main())
