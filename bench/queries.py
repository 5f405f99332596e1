"""What each benchmarked call asks of the database: its statements, each EXPLAINed.

Imported by bench/dbtool.py after django.setup().
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.test import Client
from patients import (
    UA,
    add_events,
    add_factors,
    add_recovery_codes,
    factor_ids,
    make_patients,
    open_session,
)

from carekey.accounts.models import User
from carekey.core import totp


def _explain(sql: str) -> list[str]:
    with connection.cursor() as cursor:
        if sql.lstrip().upper().startswith("SELECT"):
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, TIMING OFF, SUMMARY OFF) " + sql)
        else:
            cursor.execute("EXPLAIN (COSTS OFF) " + sql)
        return [row[0] for row in cursor.fetchall()]


def _scan_kinds(plan: list[str]) -> list[str]:
    kinds = []
    for line in plan:
        text = line.strip().lstrip("-> ").strip()
        for kind in ("Index Only Scan", "Bitmap Index Scan", "Index Scan", "Seq Scan"):
            if text.startswith(kind):
                kinds.append(text.split("  ")[0])
                break
    return kinds


def profile_queries(scenario_calls: dict[str, Callable[[], Any]]) -> dict[str, Any]:
    from django.test.utils import CaptureQueriesContext

    report: dict[str, Any] = {}
    for name, call in scenario_calls.items():
        with CaptureQueriesContext(connection) as captured:
            status = call()
        queries = [q["sql"] for q in captured.captured_queries]
        explained = []
        for sql in queries:
            head = sql.lstrip().split(" ", 1)[0].upper()
            if head not in ("SELECT", "UPDATE", "DELETE"):
                explained.append({"sql": sql, "plan": [], "scans": []})
                continue
            with transaction.atomic():
                plan = _explain(sql)
                transaction.set_rollback(True)
            explained.append({"sql": sql, "plan": plan, "scans": _scan_kinds(plan)})
        report[name] = {"status": status, "queries": len(queries), "explained": explained}
    return report


@dataclass(frozen=True)
class Fixtures:
    """Seven patients, one per call that needs its own, and the factors the calls use."""

    users: list[User]
    first_secret: str
    first_id: str
    signin_secret: str
    wrong_id: str
    more_secret: str
    more_id: str


def _fixtures() -> Fixtures:
    users = make_patients("explain", 7)
    for user in users[:2]:
        add_factors([user], "verified")
        add_factors([user], "verified", name="Work phone")
        add_recovery_codes([user])
        add_events([user], 20)
    first_secret = add_factors([users[2]], "unverified", name="New phone")[0]
    first_id = factor_ids([users[2]], "unverified")[0]
    signin_secret = add_factors([users[3]], "verified")[0]
    add_recovery_codes([users[3]])
    add_factors([users[4]], "unverified")
    wrong_id = factor_ids([users[4]], "unverified")[0]
    add_factors([users[6]], "verified")
    add_recovery_codes([users[6]])
    more_secret = add_factors([users[6]], "unverified", name="New phone")[0]
    more_id = factor_ids([users[6]], "unverified")[0]
    return Fixtures(users, first_secret, first_id, signin_secret, wrong_id, more_secret, more_id)


def _client(user: User, level: str) -> Client:
    client = Client(HTTP_USER_AGENT=UA, HTTP_HOST="127.0.0.1")
    client.cookies[settings.SESSION_COOKIE_NAME] = open_session(user, level)
    return client


def _post(client: Client, url: str, body: dict[str, str]) -> int:
    return client.post(url, body, content_type="application/json").status_code


def _calls(floor_path: str, f: Fixtures) -> dict[str, Callable[[], Any]]:
    """Each benchmarked call, made once by its own signed-in client."""
    page = _client(f.users[0], "aal2")
    enroller = _client(f.users[5], "aal1")
    wrong = _client(f.users[4], "aal1")
    first = _client(f.users[2], "aal1")
    signin = _client(f.users[3], "await")
    another = _client(f.users[6], "aal2")
    step = totp.step_at(time.time())
    return {
        "floor": lambda: page.get(f"/{floor_path}").status_code,
        "page": lambda: page.get("/portal/security").status_code,
        "list": lambda: page.get("/api/v1/mfa/factors").status_code,
        "enroll": lambda: _post(enroller, "/api/v1/mfa/factors", {"factor_type": "totp"}),
        "verify_wrong": lambda: _post(
            wrong, f"/api/v1/mfa/factors/{f.wrong_id}/verify", {"code": "000000"}
        ),
        "verify_right_first": lambda: _post(
            first,
            f"/api/v1/mfa/factors/{f.first_id}/verify",
            {"code": totp.code_at_step(f.first_secret, step)},
        ),
        "verify_right_more": lambda: _post(
            another,
            f"/api/v1/mfa/factors/{f.more_id}/verify",
            {"code": totp.code_at_step(f.more_secret, step)},
        ),
        "session_verify": lambda: _post(
            signin, "/api/v1/session/verify", {"code": totp.code_at_step(f.signin_secret, step)}
        ),
    }


def query_report(floor_path: str) -> dict[str, Any]:
    """Run each benchmarked call once in-process, capture its SQL and EXPLAIN each statement."""
    calls = _calls(floor_path, _fixtures())
    for name in ("floor", "page", "list"):
        calls[name]()  # warm: the first request of a session writes its activity
    return profile_queries(calls)
