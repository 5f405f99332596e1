"""Sustained load: simulated patients running the whole flow against `carekey serve`.

    python -m reliability.load [--patients 50] [--seconds 60] [--workers 4] [--out FILE]

Each patient loops: sign in, enroll an authenticator, verify it (first factor: ten
recovery codes), reauthenticate with the next code, remove the factor, turn app lock on,
lock, unlock with the password, sign out. The server runs with the production settings
(Argon2, gunicorn) on a throwaway PostgreSQL database. Every answer other than the one the
step expects is an error: 5xx and unexpected 4xx are counted apart, and the patient stops.
Figures (requests per second, p50/p99 per step) go to a JSON file for reliability/report.py.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import reliability.harness as harness
from carekey.core import totp
from reliability.machine import describe_machine
from reliability.webclient import Browser, Reply

LOCK_PREFS = {"enabled": True, "timeout_minutes": 5, "unlock_method": "password"}


class StepFailed(Exception):
    pass


@dataclass
class Recorder:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: dict[str, Counter[int]] = field(default_factory=lambda: defaultdict(Counter))
    server_errors: int = 0
    unexpected_4xx: int = 0
    connection_errors: int = 0
    samples: list[str] = field(default_factory=list)
    flows: int = 0
    abandoned: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def step(self, name: str, expected: int, call: Any) -> Reply:
        try:
            reply: Reply = call()
        except OSError as exc:
            with self.lock:
                self.connection_errors += 1
                self._sample(f"{name}: {type(exc).__name__}: {exc}")
            raise StepFailed(name) from exc
        with self.lock:
            self.latencies[name].append(reply.elapsed)
            self.statuses[name][reply.status] += 1
            if reply.status != expected:
                if reply.status >= 500:
                    self.server_errors += 1
                else:
                    self.unexpected_4xx += 1
                self._sample(f"{name}: {reply.status} {reply.text[:200]}")
        if reply.status != expected:
            raise StepFailed(name)
        return reply

    def _sample(self, text: str) -> None:
        if len(self.samples) < 20:
            self.samples.append(text)


def one_flow(browser: Browser, email: str, rec: Recorder) -> None:
    rec.step("session (signed out)", 401, lambda: browser.api("GET", "/session"))
    rec.step("sign in", 200, lambda: browser.sign_in(email, harness.PASSWORD))
    enrolled = rec.step(
        "enroll", 201, lambda: browser.api("POST", "/mfa/factors", {"factor_type": "totp"})
    ).json()
    factor_id, secret = enrolled["id"], enrolled["totp"]["secret"]
    step = totp.step_at(time.time())
    rec.step(
        "verify (first factor)",
        200,
        lambda: browser.api(
            "POST", f"/mfa/factors/{factor_id}/verify", {"code": totp.code_at_step(secret, step)}
        ),
    )
    rec.step(
        "reauthenticate",
        200,
        lambda: browser.api(
            "POST", "/session/reauthenticate", {"code": totp.code_at_step(secret, step + 1)}
        ),
    )
    rec.step("remove factor", 204, lambda: browser.api("DELETE", f"/mfa/factors/{factor_id}"))
    rec.step("app lock on", 200, lambda: browser.api("PUT", "/app-lock", LOCK_PREFS))
    rec.step("lock now (page)", 302, lambda: browser.form("/portal/lock"))
    rec.step(
        "unlock (password)",
        200,
        lambda: browser.api("POST", "/session/unlock", {"password": harness.PASSWORD}),
    )
    rec.step("sign out", 204, lambda: browser.api("DELETE", "/session"))


def patient_loop(base: str, email: str, deadline: float, rec: Recorder) -> None:
    browser = Browser(base, user_agent=f"CareKey load patient {email}", timeout=120)
    while time.monotonic() < deadline:
        try:
            one_flow(browser, email, rec)
        except StepFailed:
            with rec.lock:
                rec.abandoned += 1
            return
        with rec.lock:
            rec.flows += 1


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    rank = math.ceil(q / 100 * len(ordered))  # nearest rank
    return ordered[min(len(ordered), max(1, rank)) - 1]


def summarise(rec: Recorder, elapsed: float) -> dict[str, Any]:
    steps = {}
    for name, values in rec.latencies.items():
        steps[name] = {
            "count": len(values),
            "p50_ms": round(percentile(values, 50) * 1000, 1),
            "p99_ms": round(percentile(values, 99) * 1000, 1),
            "max_ms": round(max(values) * 1000, 1),
            "mean_ms": round(statistics.fmean(values) * 1000, 1),
            "statuses": {str(k): v for k, v in sorted(rec.statuses[name].items())},
        }
    every = [v for values in rec.latencies.values() for v in values]
    requests = len(every)
    return {
        "requests": requests,
        "flows_completed": rec.flows,
        "patients_abandoned": rec.abandoned,
        "elapsed_s": round(elapsed, 1),
        "requests_per_s": round(requests / elapsed, 1) if elapsed else 0.0,
        "flows_per_s": round(rec.flows / elapsed, 2) if elapsed else 0.0,
        "p50_ms": round(percentile(every, 50) * 1000, 1),
        "p99_ms": round(percentile(every, 99) * 1000, 1),
        "server_errors": rec.server_errors,
        "unexpected_4xx": rec.unexpected_4xx,
        "connection_errors": rec.connection_errors,
        "error_samples": rec.samples,
        "steps": steps,
    }


def run(patients: int, seconds: float, workers: int) -> dict[str, Any]:
    if not harness.postgres_reachable():
        raise SystemExit(f"PostgreSQL does not answer at {harness.PG_ADMIN_URL}")
    database = harness.create_database("carekey_rel_load")
    try:
        with tempfile.TemporaryDirectory() as tmp:
            deployment = harness.Deployment(harness.database_url(database), Path(tmp))
            server = harness.start_server(deployment, workers=workers, name="load")
            try:
                emails = [f"load{n}@example.org" for n in range(patients)]
                harness.seed_patients(deployment, emails)
                rec = Recorder()
                load_before = os.getloadavg()
                started = time.monotonic()
                deadline = started + seconds
                threads = [
                    threading.Thread(target=patient_loop, args=(server.base, e, deadline, rec))
                    for e in emails
                ]
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join()
                elapsed = time.monotonic() - started
                log_statuses = Counter(harness.status_lines(server.log()))
            finally:
                server.stop()
    finally:
        harness.drop_database(database)
    return {
        "config": {
            "patients": patients,
            "seconds": seconds,
            "workers": workers,
            "database": "PostgreSQL (throwaway database)",
            "load_average_before": [round(x, 2) for x in load_before],
            "load_average_after": [round(x, 2) for x in os.getloadavg()],
        },
        "machine": describe_machine(),
        "results": summarise(rec, elapsed),
        "server_log_statuses": {str(k): v for k, v in sorted(log_statuses.items())},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--patients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--out", type=Path, default=Path("var/reliability/load.json"))
    args = parser.parse_args(argv)
    report = run(args.patients, args.seconds, args.workers)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1))
    results = report["results"]
    print(
        f"{results['requests']} requests in {results['elapsed_s']} s "
        f"({results['requests_per_s']}/s), p50 {results['p50_ms']} ms, p99 {results['p99_ms']} ms; "
        f"5xx {results['server_errors']}, unexpected 4xx {results['unexpected_4xx']}, "
        f"connection errors {results['connection_errors']}"
    )
    failed = results["server_errors"] + results["unexpected_4xx"] + results["connection_errors"]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
