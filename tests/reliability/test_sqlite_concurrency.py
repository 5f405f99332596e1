"""SQLite under concurrency: four gunicorn workers writing at once never surface
"database is locked" (WAL, a busy timeout and immediate transactions make writers wait).

This is the embedded database of `make run`; it runs in both the SQLite and the PostgreSQL
pass of the suite because the server makes its own SQLite file.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import reliability.harness as harness
from reliability.webclient import Browser

PATIENTS = 10
PREFS = [
    {"enabled": True, "timeout_minutes": 5, "unlock_method": "password"},
    {"enabled": False, "timeout_minutes": 10, "unlock_method": "password"},
]


def busy_patient(server: harness.Server, email: str) -> Counter[str]:
    """Sign in, change app lock five times, start two enrollments, sign out: all writes."""
    seen: Counter[str] = Counter()
    browser: Browser = server.browser()
    calls: list[tuple[str, str, Any]] = [("POST", "/session", None)]
    calls += [("PUT", "/app-lock", PREFS[n % 2]) for n in range(5)]
    calls += [("POST", "/mfa/factors", {"factor_type": "totp"})] * 2
    calls += [("DELETE", "/sessions/others", None), ("DELETE", "/session", None)]
    for method, path, body in calls:
        try:
            if path == "/session" and method == "POST":
                reply = browser.sign_in(email, harness.PASSWORD)
            else:
                reply = browser.api(method, path, body)
        except OSError as exc:
            seen[f"connection error: {type(exc).__name__}"] += 1
            continue
        seen[str(reply.status)] += 1
        if reply.status >= 500 and b"locked" in reply.body:
            seen["database is locked"] += 1
    return seen


def test_concurrent_writers_never_see_database_is_locked(
    tmp_path: Path, figures: dict[str, Any]
) -> None:
    database = tmp_path / "carekey.sqlite3"
    deployment = harness.Deployment(f"sqlite:///{database}", tmp_path)
    emails = [f"s{n}@example.org" for n in range(PATIENTS)]
    server = harness.start_server(deployment, workers=4, name="sqlite")  # it migrates
    try:
        harness.seed_patients(deployment, emails)
        with ThreadPoolExecutor(max_workers=PATIENTS) as pool:
            results = list(pool.map(lambda e: busy_patient(server, e), emails))
        log = server.log()
    finally:
        server.stop()
    total: Counter[str] = sum(results, Counter())
    figures["sqlite"] = {"workers": 4, "patients": PATIENTS, "answers": dict(total)}
    assert "database is locked" not in log
    assert set(total) <= {"200", "201", "204"}, total
    with sqlite3.connect(database) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
