"""The OpenAPI document lists every status an operation can answer (CONTRACT §3).

The access gate answers before any view: 401 not_authenticated, 403 csrf_failed on unsafe
methods, 403 insufficient_aal (a code still owed), 403 mfa_enrollment_required (policy),
423 session_locked; and every body or query that fails validation is 422. Clients generated
from the document need those statuses declared on the operations that can return them.
"""

from __future__ import annotations

from typing import Any

from carekey.api import api

PASSKEY_CALLS = {"/api/v1/session/passkey/options", "/api/v1/session/passkey"}
SESSION_CALLS = {
    "/api/v1/session",
    "/api/v1/session/verify",
    "/api/v1/session/reauthenticate",
    *PASSKEY_CALLS,  # "Sign in with a passkey" needs nobody signed in
}
# A passkey unlocks too, so its two calls stay open while locked.
WHILE_LOCKED = {
    ("get", "/api/v1/session"),
    ("delete", "/api/v1/session"),
    *(("post", path) for path in PASSKEY_CALLS),
}
UNLOCK = ("post", "/api/v1/session/unlock")
# "Forgot your password?" is for people who cannot sign in: the gate leaves it open.
PASSWORD_RESET_CALLS = {"/api/v1/password/reset", "/api/v1/password/reset/confirm"}
ENROLLMENT_OPEN = "/api/v1/mfa"


def statuses_the_gate_can_answer(method: str, path: str, operation: dict[str, Any]) -> set[int]:
    expected: set[int] = set()
    is_session_call = path in SESSION_CALLS | PASSWORD_RESET_CALLS or (method, path) == UNLOCK
    if not is_session_call:
        expected |= {401, 403}  # not signed in; aal2 owed or enrollment required
    if method in {"post", "put", "patch", "delete"}:
        expected.add(403)  # csrf_failed
    if (method, path) not in WHILE_LOCKED and (method, path) != UNLOCK:
        expected.add(423)
    has_input = "requestBody" in operation or any(
        p.get("in") == "query" for p in operation.get("parameters", [])
    )
    if has_input:
        expected.add(422)
    return expected


def undeclared() -> list[str]:
    document = api.get_openapi_schema()
    missing = []
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            declared = {int(code) for code in operation["responses"]}
            gaps = statuses_the_gate_can_answer(method, path, operation) - declared
            if gaps:
                codes = ", ".join(str(c) for c in sorted(gaps))
                missing.append(f"{method.upper()} {path}: {codes}")
    return missing


def test_every_operation_declares_the_statuses_the_gate_can_answer() -> None:
    assert undeclared() == []
