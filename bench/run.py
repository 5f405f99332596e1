"""`make bench`: CareKey's calls beside the bare Django floor, django-otp and allauth.mfa,
at 1 000 and 1 000 000 patients, in one interleaved run, written to bench/RESULTS.md.

It serves everything at once, each on its own port and PostgreSQL database: `carekey
serve` for each CareKey database (bench_settings, which adds CareKey's own floor route),
and gunicorn for each peer project of bench/peers/ from the peers' own virtualenv. wrk
(bench/pool.lua) drives one server at a time, the calls of all subjects round-robin,
the bare floor after every second call (bench/rounds.py). The knobs are listed in
bench/calls.py.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import statistics
import time
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from calls import (
    BARE,
    CALLS,
    CARE_FLOOR,
    CONNECTIONS,
    FLOOR_SECONDS,
    PEERS,
    PORT,
    PYTHON,
    QUICK,
    RESULTS,
    ROUNDS,
    SECONDS,
    WORK,
    WORKERS,
    Call,
    Subject,
    datasets,
)
from commands import dbtool, log, psql, run
from peer_env import ensure_venv, fresh_database, peer_server, peer_subject, peer_versions
from profiles import profile_calls
from rounds import measure
from subjects import carekey_subject, ensure_database, server


def machine() -> dict[str, str]:
    cpu = next(
        (
            ln.split(":", 1)[1].strip()
            for ln in Path("/proc/cpuinfo").read_text().splitlines()
            if ln.startswith("model name")
        ),
        platform.processor(),
    )
    mem_kib = int(Path("/proc/meminfo").read_text().split()[1])
    commit = run(["git", "rev-parse", "--short", "HEAD"]).strip()
    dirty = run(["git", "status", "--porcelain", "--untracked-files=no"]).strip()
    versions = run(
        [
            PYTHON,
            "-c",
            "from importlib.metadata import version as v; "
            "print(*(v(p) for p in ('django', 'gunicorn', 'django-ninja', 'psycopg')))",
        ]
    ).split()
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": commit + (" (with uncommitted changes in the work tree)" if dirty else ""),
        "cpu": f"{cpu}, {os.cpu_count()} cores",
        "memory": f"{mem_kib / 1024 / 1024:.0f} GiB",
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "django": versions[0],
        "gunicorn": versions[1],
        "django_ninja": versions[2],
        "psycopg": versions[3],
        "postgresql": psql("SHOW server_version").strip(),
        "wrk": run(["wrk", "-v"], check=False).splitlines()[0] if shutil.which("wrk") else "",
    }


def new_report(facts: dict[str, Any]) -> dict[str, Any]:
    return {
        "machine": facts,
        "config": {
            "workers": WORKERS,
            "connections": CONNECTIONS,
            "rounds": ROUNDS,
            "seconds": SECONDS,
            "floor_seconds": FLOOR_SECONDS,
            "quick": QUICK,
        },
        "calls": [vars(c) for c in [CARE_FLOOR, *CALLS]],
        "peers": [
            {"name": p.name, "title": p.title, "calls": [vars(c) for c in p.calls]}
            for p in [BARE, *PEERS]
        ],
        "datasets": {},
        "peer_data": {},
    }


def seed_all(subjects: list[Subject], report: dict[str, Any]) -> None:
    """The 1k database is seeded every time; the 1M one is reused unless BENCH_RESEED=1.
    Every peer gets a fresh database."""
    for subject in subjects:
        if subject.ds is None:
            report["peer_data"][subject.name] = {"seed": fresh_database(subject)}
            log(f"{subject.name}: fresh database {subject.db}, seeded")
            continue
        ds = subject.ds
        reseed = ds.name == "1k" or os.environ.get("BENCH_RESEED") == "1"
        seed = ensure_database(ds, subject.env, reseed=reseed)
        report["datasets"][ds.name] = {"dataset": vars(ds), "seed": seed}


def missed_targets(results: dict[str, Any]) -> list[tuple[Call, float]]:
    """CareKey's calls whose median cost ratio to the bare floor is over issue 18's
    target, with their median req/s."""
    missed = []
    for call in [CARE_FLOOR, *CALLS]:
        cost = statistics.median(r["cost"] for r in results["ratios"][call.name])
        if call.target is not None and cost > call.target:
            missed.append((call, statistics.median(r["rps"] for r in results["runs"][call.name])))
    return missed


def measure_served(subjects: list[Subject], bare: Subject, report: dict[str, Any]) -> None:
    """Serve every subject at once, measure them all, then profile what missed."""
    with ExitStack() as stack:
        for subject in [bare, *subjects]:
            subject.out.mkdir(parents=True, exist_ok=True)
            if subject.is_carekey:
                subject.pid = stack.enter_context(server(subject.env, subject.out, subject.port))
            else:
                subject.pid = stack.enter_context(peer_server(subject))
        log("measuring: " + ", ".join(s.name for s in [bare, *subjects]))
        for name, data in measure(subjects, bare).items():
            key = "datasets" if name in report["datasets"] else "peer_data"
            report[key][name].update(data)
        (WORK / "report.json").write_text(json.dumps(report, indent=1, default=str))
        small = subjects[0]
        missed = missed_targets(report["datasets"][small.name])
        report["profiles"] = profile_calls(small, missed) if missed and not QUICK else {}


def main() -> None:
    if not shutil.which("wrk"):
        raise SystemExit("bench: wrk is missing (apt-get install -y wrk)")
    started = time.monotonic()
    WORK.mkdir(parents=True, exist_ok=True)
    ensure_venv()
    run([PYTHON, "bench/peers/check.py"])  # the peers answer as the pools expect
    facts = {**machine(), "peers": peer_versions()}
    log(f"commit {facts['commit']}, {WORKERS} workers, {CONNECTIONS} connections")
    report = new_report(facts)
    carekey = [carekey_subject(ds, PORT + n) for n, ds in enumerate(datasets())]
    peers = [peer_subject(p, PORT + 10 + n) for n, p in enumerate(PEERS)]
    bare = peer_subject(BARE, PORT + 9)
    report["argon2"] = dbtool(carekey[0].env, "argon2")
    log("argon2 measured")
    seed_all([*carekey, bare, *peers], report)
    measure_served([*carekey, *peers], bare, report)
    report["micro"] = {} if QUICK else dbtool(carekey[0].env, "micro")
    report["elapsed_s"] = time.monotonic() - started
    (WORK / "report.json").write_text(json.dumps(report, indent=1, default=str))
    from report import write_results  # bench/report.py

    write_results(report, RESULTS)
    log(f"done in {report['elapsed_s'] / 60:.1f} min: {RESULTS}")


if __name__ == "__main__":
    main()
