"""Writes bench/RESULTS.md from the report bench/run.py collects (var/bench/report.json).

`python bench/report.py [REPORT.json [OUT.md]]` rewrites RESULTS.md from the last report
without measuring again.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from report_details import explain_section, profiles_section, scale_section
from report_peers import PEERS_METHOD, peer_figures_section, peers_section
from report_stats import SCALE_LIMIT, call_stats, fmt, med, scale_ratios, spread, verdict


def machine_section(report: dict[str, Any]) -> list[str]:
    m = report["machine"]
    c = report["config"]
    subjects = [*report["datasets"].values(), *report["peer_data"].values()]
    other = [call_stats(ds, name)["other"] for ds in subjects for name in ds["runs"]]
    peers = m["peers"]
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
        f"| peers' software | their own virtualenv: Django {peers['django']}, django-otp "
        f"{peers['django_otp']}, django-allauth {peers['django_allauth']} (mfa, headless), "
        f"gunicorn {peers['gunicorn']} |",
        f"| servers | `carekey serve --workers {c['workers']}` per CareKey database, gunicorn "
        f"`--workers {c['workers']}` per peer (sync workers), all up at once, each on its "
        "own PostgreSQL database, same machine |",
        f"| load | {m['wrk']}: 1 thread, {c['connections']} connections, {c['rounds']} "
        f"round{'s' if c['rounds'] != 1 else ''}; each call {c['seconds']:.0f} s (or until "
        "its pool of fresh factors/sessions is spent), the bare floor for "
        f"{c['floor_seconds']:.0f} s after every second call |",
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
        "## Issue 9's targets, to CareKey's own floor",
        "",
        "Cost ratio to CareKey's own floor (`GET /api/v1/bench/floor`, behind CareKey's "
        "middleware and access gate) = each round's ratio of the call to the bare floor ÷ "
        "that of CareKey's floor; the median of the rounds (range in brackets). Scale "
        "ratio = the call's cost ratio at 1 000 000 patients ÷ its cost ratio at 1 000 in "
        "the same round (the two were measured seconds apart); the median of the rounds.",
        "",
        "| call | target | cost ratio at 1k | | scale ratio | ≤ 1.2 |",
        "|---|---|---|---|---|---|",
    ]
    for call in report["calls"][1:]:
        s = call_stats(small, call["name"], "own")
        cost = med(s["cost"])
        target = call["own_target"]
        limit = f"≤ {target}x" if target else "none"
        row = f"| {call['label']} | {limit} | {fmt(cost)}x{spread(s['cost'])} | "
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
        "mid-run takes its CPU with it). Ratios to the bare Django floor, and the cost "
        "ratio to CareKey's own floor.",
        "",
        "| call | req/s | p50 ms | p99 ms | app CPU ms | db CPU ms | cost x bare floor | "
        "cost x own floor | p50 x bare floor | p99 x bare floor | CPU x bare floor | answers |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for call in report["calls"]:
        s = call_stats(data, call["name"])
        own = call_stats(data, call["name"], "own")["cost"]
        answers = ", ".join(f"{n}x {code}" for code, n in sorted(s["statuses"].items()))
        ratio_cells = " | ".join(
            [fmt(med(s["cost"])), "1" if call["name"] == "floor" else fmt(med(own))]
            + [fmt(med(s[k])) for k in ("p50_ratio", "p99_ratio", "cpu_ratio")]
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
        "| call | server | app CPU ms | db CPU ms | total ms | x bare floor |",
        "|---|---|---|---|---|---|",
    ]
    for name, data in report["datasets"].items():
        for call in report["calls"]:
            if "verify" not in call["name"]:
                continue
            s = call_stats(data, call["name"])
            lines.append(
                f"| {call['label']} | CareKey {name} | {fmt(s['app'], 1)} | {fmt(s['db'], 1)} | "
                f"{fmt(s['app'] + s['db'], 1)} | {fmt(med(s['cpu_ratio']))} |"
            )
    for peer in report["peers"]:
        for call in peer["calls"]:
            if "verify" in call["name"]:
                s = call_stats(report["peer_data"][peer["name"]], call["name"])
                lines.append(
                    f"| `{call['label']}` | {peer['title']} | {fmt(s['app'], 1)} | "
                    f"{fmt(s['db'], 1)} | {fmt(s['app'] + s['db'], 1)} | "
                    f"{fmt(med(s['cpu_ratio']))} |"
                )
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
- **Two floors.** The *bare floor* (bench/peers/floor_site) is Django with Session, CSRF
  and Auth middleware and one view reading `request.user`: every cost ratio divides its
  req/s by the call's, measured just before and after the call. *CareKey's own floor*,
  `GET /api/v1/bench/floor` (`bench/bench_urls.py`, loaded only by the benchmark's
  settings, `bench/bench_settings.py`), sits behind CareKey's whole middleware (session,
  idle/absolute expiry, the access gate with its aal2 and app-lock checks), reads the
  session and answers 200; it is measured as a call, and a ratio to it is a call's ratio
  to the bare floor over the own floor's in the same round.
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
- **Passkey sign-in**: a patient per request, with a passkey stored as registration leaves
  it and a signed-out session holding the challenge the product's own options call issued
  for it; the software authenticator of tests/passkey_authenticator.py signs the answer.
  Challenges live five minutes, so this call is measured early in each round.
"""
NOISE = "- The machine is shared and noisy: read the ratios, not the absolute figures.\n"


def write_results(report: dict[str, Any], path: Path) -> None:
    lines = [
        "# CareKey benchmark results",
        "",
        "Written by `make bench` (bench/run.py); do not edit by hand. Every figure comes "
        "from the run described below.",
        "",
    ]
    lines += machine_section(report)
    lines += peers_section(report)
    lines += targets_section(report)
    lines += figures_section(report["datasets"]["1k"], "1 000 patients", report)
    if "1M" in report["datasets"]:
        lines += figures_section(report["datasets"]["1M"], "1 000 000 patients", report)
    lines += peer_figures_section(report)
    lines += verify_cpu_section(report)
    lines += scale_section(report)
    lines += profiles_section(report)
    lines += explain_section(report)
    lines += argon2_section(report)
    lines += [METHOD + PEERS_METHOD + NOISE]
    path.write_text("\n".join(lines).rstrip() + "\n", encoding="utf-8")


if __name__ == "__main__":
    source = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("var/bench/report.json")
    target = Path(sys.argv[2]) if len(sys.argv) > 2 else Path(__file__).with_name("RESULTS.md")
    write_results(json.loads(source.read_text()), target)
