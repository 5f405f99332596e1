"""`make bench`: CareKey's security calls against a bare Django floor, at 1 000 and 1 000 000
patients, written to bench/RESULTS.md.

For each database it starts `carekey serve` (gunicorn) on PostgreSQL, both at once on
ports BENCH_PORT and BENCH_PORT+1, and drives them with wrk (bench/pool.lua) from a
separate process. Each call is measured between two runs of the floor on the same server,
on one database and then the other, several rounds over, and reported as a ratio to the
floor. The servers load bench_settings (bench/), which adds the floor's route to CareKey's.
The environment knobs are listed in bench/calls.py.
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
    BENCH,
    CALLS,
    CONNECTIONS,
    FLOOR,
    FLOOR_SECONDS,
    PORT,
    PYTHON,
    ROUNDS,
    SECONDS,
    WORK,
    WORKERS,
    Call,
    Subject,
    datasets,
)
from commands import dbtool, log, psql, run
from profiles import profile_calls
from rounds import measure
from subjects import app_env, ensure_database, server


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


def new_report(facts: dict[str, str]) -> dict[str, Any]:
    return {
        "machine": facts,
        "config": {
            "workers": WORKERS,
            "connections": CONNECTIONS,
            "rounds": ROUNDS,
            "seconds": SECONDS,
            "floor_seconds": FLOOR_SECONDS,
        },
        "calls": [vars(c) for c in [FLOOR, *CALLS]],
        "datasets": {},
    }


def seed_all(subjects: list[Subject], report: dict[str, Any]) -> None:
    """The 1k database is seeded every time; the 1M one is reused unless BENCH_RESEED=1."""
    for subject in subjects:
        ds = subject.ds
        reseed = ds.name == "1k" or os.environ.get("BENCH_RESEED") == "1"
        seed = ensure_database(ds, subject.env, reseed=reseed)
        report["datasets"][ds.name] = {"dataset": vars(ds), "seed": seed}


def missed_targets(results: dict[str, Any]) -> list[tuple[Call, float]]:
    """The calls whose median cost ratio is over their target, with their median req/s."""
    missed = []
    for call in CALLS:
        cost = statistics.median(r["cost"] for r in results["ratios"][call.name])
        if call.target is not None and cost > call.target:
            missed.append((call, statistics.median(r["rps"] for r in results["runs"][call.name])))
    return missed


def measure_served(subjects: list[Subject], report: dict[str, Any]) -> None:
    """Serve every database at once, measure them all, then profile what missed."""
    with ExitStack() as stack:
        for subject in subjects:
            subject.out.mkdir(parents=True, exist_ok=True)
            subject.pid = stack.enter_context(server(subject.env, subject.out, subject.port))
        log("measuring: " + ", ".join(s.ds.name for s in subjects))
        for name, data in measure(subjects).items():
            report["datasets"][name].update(data)
        (WORK / "report.json").write_text(json.dumps(report, indent=1, default=str))
        small = subjects[0]
        missed = missed_targets(report["datasets"][small.ds.name])
        report["profiles"] = profile_calls(small, missed) if missed else {}


def main() -> None:
    if not shutil.which("wrk"):
        raise SystemExit("bench: wrk is missing (apt-get install -y wrk)")
    started = time.monotonic()
    WORK.mkdir(parents=True, exist_ok=True)
    facts = machine()
    log(f"commit {facts['commit']}, {WORKERS} workers, {CONNECTIONS} connections")
    report = new_report(facts)
    subjects = [
        Subject(ds, app_env(ds.db), WORK / ds.name, PORT + number)
        for number, ds in enumerate(datasets())
    ]
    report["argon2"] = dbtool(subjects[0].env, "argon2")
    log("argon2 measured")
    seed_all(subjects, report)
    measure_served(subjects, report)
    report["micro"] = dbtool(subjects[0].env, "micro")
    report["elapsed_s"] = time.monotonic() - started
    (WORK / "report.json").write_text(json.dumps(report, indent=1, default=str))
    from report import write_results  # bench/report.py

    write_results(report, BENCH / "RESULTS.md")
    log(f"done in {report['elapsed_s'] / 60:.1f} min: bench/RESULTS.md")


if __name__ == "__main__":
    main()
