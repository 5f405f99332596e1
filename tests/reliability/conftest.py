"""Reliability suite (issue #8): attack matrix, fuzzing, several servers, outages, crashes.

Two sizes: CI runs bounded versions; `make reliability` sets CAREKEY_RELIABILITY_FULL=1 for
the full ones and CAREKEY_RELIABILITY_OUT=<dir> so the figures the tests record land in
<dir>/results.json, from which reliability/report.py writes docs/reliability.md.

In-process tests swap the slow parts of the crypto for fast ones: MD5 for passwords, a
minimal-cost Argon2id for recovery codes and a stub QR image. They test who may do what,
not how slowly a password hashes, and a few hundred enrollments would otherwise take
minutes. A test marked `real_crypto` keeps them all; the server processes (two servers,
outage, crash, load) always run the production code untouched.
"""

from __future__ import annotations

import base64
import json
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import reliability.harness as harness
from argon2 import PasswordHasher
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections

from carekey.core import recovery, totp
from tests.conftest import require

FULL = os.environ.get("CAREKEY_RELIABILITY_FULL", "") == "1"
OUT = os.environ.get("CAREKEY_RELIABILITY_OUT", "")
FAST_HASHERS = [
    "django.contrib.auth.hashers.MD5PasswordHasher",
    "carekey.accounts.hashers.ClientSecretHasher",  # OpenID clients' secrets
]

_HANDLER = WSGIHandler()
_figures: dict[str, Any] = {}
_outcomes: list[dict[str, Any]] = []


STUB_QR = (
    "data:image/svg+xml;base64,"
    + base64.b64encode(b"<svg xmlns='http://www.w3.org/2000/svg'/>").decode()
)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "real_crypto: keep Argon2 and real QR codes in-process")


@pytest.fixture(autouse=True)
def _fast_crypto(request: pytest.FixtureRequest, settings: Any, monkeypatch: Any) -> None:
    if request.node.get_closest_marker("real_crypto"):
        return
    settings.PASSWORD_HASHERS = FAST_HASHERS
    monkeypatch.setattr(
        recovery, "_HASHER", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    )
    monkeypatch.setattr(totp, "qr_code_data_uri", lambda uri: STUB_QR)


@pytest.fixture(scope="session")
def figures() -> dict[str, Any]:
    """Numbers the tests measured (examples fuzzed, race outcomes ...), for the report."""
    return _figures


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
        outcome: str = report.outcome
        if hasattr(report, "wasxfail"):
            outcome = "xfailed" if report.skipped else "xpassed"
        _outcomes.append(
            {
                "nodeid": report.nodeid,
                "outcome": outcome,
                "duration": round(report.duration, 3),
                "xfail_reason": getattr(report, "wasxfail", ""),
            }
        )


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if not OUT or not _outcomes:
        return
    target = Path(OUT)
    target.mkdir(parents=True, exist_ok=True)
    (target / "results.json").write_text(
        json.dumps(
            {"finished": time.time(), "full": FULL, "tests": _outcomes, "figures": _figures},
            indent=1,
            default=str,
        )
    )


def in_process_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    """Django's WSGI app for in-process clients (Schemathesis), as Django's test client runs it.

    A WSGI server closes the database connection after each request; inside a test that
    would close the test's own transaction, so, like django.test.Client, this keeps
    close_old_connections away from the request signals.
    """
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        response = _HANDLER(environ, start_response)
        try:
            return [b"".join(response)]
        finally:
            response.close()
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


# --- PostgreSQL for the multi-process tests ---------------------------------------------


@pytest.fixture(scope="session")
def postgres() -> None:
    """PostgreSQL on 127.0.0.1:5432, whatever database the rest of the run uses."""
    require(harness.postgres_reachable(), f"PostgreSQL does not answer at {harness.PG_ADMIN_URL}")


@pytest.fixture(scope="session")
def migrated_template(postgres: None) -> Iterator[str]:
    """One migrated database per run; every test copies it (CREATE DATABASE ... TEMPLATE)."""
    name = harness.create_database("carekey_rel_tpl")
    try:
        with tempfile.TemporaryDirectory() as tmp:
            harness.migrate(harness.Deployment(harness.database_url(name), Path(tmp)))
        yield name
    finally:
        harness.drop_database(name)


@pytest.fixture
def fresh_database(migrated_template: str) -> Iterator[str]:
    """A throwaway, migrated PostgreSQL database (carekey_rel_<random>), dropped afterwards."""
    name = harness.create_database("carekey_rel", template=migrated_template)
    try:
        yield name
    finally:
        harness.drop_database(name)
