"""/api/v1/openapi.json is enough to generate a clean client (issue 17, items 11 and 12):
short camelCase operationIds, fitting tags, the error codes as an enum with each
operation's codes under their statuses, the session cookie and the CSRF header as
security schemes, uuid ids, and 204 answers without a body or a Content-Type."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from carekey.api import api as ninja_api
from carekey.api.error_codes import ERROR_CODES
from tests.conftest import ApiClient
from tests.mfa_helpers import enroll

pytestmark = pytest.mark.django_db

# CONTRACT §3 and the passkey, password and connected-app calls: one name each.
OPERATION_IDS = {
    ("get", "/api/v1/session"): "getSession",
    ("post", "/api/v1/session"): "signIn",
    ("delete", "/api/v1/session"): "signOut",
    ("post", "/api/v1/session/verify"): "verifySignIn",
    ("post", "/api/v1/session/reauthenticate"): "reauthenticate",
    ("post", "/api/v1/session/unlock"): "unlockSession",
    ("post", "/api/v1/session/passkey/options"): "getPasskeyRequestOptions",
    ("post", "/api/v1/session/passkey"): "authenticateWithPasskey",
    ("post", "/api/v1/session/password"): "changePassword",
    ("post", "/api/v1/password/reset"): "requestPasswordReset",
    ("post", "/api/v1/password/reset/confirm"): "confirmPasswordReset",
    ("get", "/api/v1/mfa/factors"): "listFactors",
    ("post", "/api/v1/mfa/factors"): "enrollFactor",
    ("post", "/api/v1/mfa/factors/{factor_id}/verify"): "verifyFactor",
    ("delete", "/api/v1/mfa/factors/{factor_id}"): "removeFactor",
    ("post", "/api/v1/mfa/passkeys/options"): "getPasskeyCreationOptions",
    ("post", "/api/v1/mfa/passkeys"): "addPasskey",
    ("get", "/api/v1/mfa/recovery-codes"): "countRecoveryCodes",
    ("post", "/api/v1/mfa/recovery-codes"): "generateRecoveryCodes",
    ("get", "/api/v1/app-lock"): "getAppLock",
    ("put", "/api/v1/app-lock"): "updateAppLock",
    ("get", "/api/v1/sessions"): "listSessions",
    ("delete", "/api/v1/sessions/others"): "signOutOtherSessions",
    ("delete", "/api/v1/sessions/{device_id}"): "signOutSession",
    ("get", "/api/v1/security-events"): "listSecurityEvents",
    ("get", "/api/v1/connected-apps"): "listConnectedApps",
    ("delete", "/api/v1/connected-apps/{client_id}"): "disconnectApp",
}
TAG_BY_PREFIX = {
    "/api/v1/session/password": "password",
    "/api/v1/password": "password",
    "/api/v1/session": "session",
    "/api/v1/mfa": "mfa",
    "/api/v1/app-lock": "app lock",
    "/api/v1/sessions": "devices",
    "/api/v1/security-events": "security events",
    "/api/v1/connected-apps": "connected apps",
}
# CONTRACT §3, §6 and §7: the codes each call's table row names.
CONTRACT_CODES = {
    "getSession": {"not_authenticated"},
    "signIn": {"invalid_credentials", "too_many_attempts"},
    "verifySignIn": {"mfa_verification_failed", "validation_error", "too_many_attempts"},
    "reauthenticate": {"mfa_verification_failed", "validation_error", "too_many_attempts"},
    "unlockSession": {"mfa_verification_failed", "validation_error", "too_many_attempts"},
    "enrollFactor": {
        "mfa_factor_name_conflict",
        "too_many_enrolled_mfa_factors",
        "reauthentication_required",
    },
    "verifyFactor": {"mfa_verification_failed", "mfa_factor_not_found", "too_many_attempts"},
    "removeFactor": {"reauthentication_required", "mfa_factor_not_found"},
    "generateRecoveryCodes": {"reauthentication_required"},
    "updateAppLock": {"validation_error"},
    "addPasskey": {
        "passkey_verification_failed",
        "reauthentication_required",
        "too_many_enrolled_mfa_factors",
        "too_many_attempts",
    },
    "authenticateWithPasskey": {"passkey_verification_failed", "too_many_attempts"},
    "changePassword": {"invalid_credentials", "weak_password", "too_many_attempts"},
    "listFactors": {"insufficient_aal", "session_locked", "not_authenticated"},
}


def document() -> dict[str, Any]:
    return ninja_api.get_openapi_schema()  # type: ignore[no-any-return]


def operations() -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, methods in document()["paths"].items()
        for method, operation in methods.items()
    ]


def test_every_operation_has_its_short_camel_case_operation_id() -> None:
    found = {(method, path): op["operationId"] for method, path, op in operations()}
    assert found == OPERATION_IDS
    for name in found.values():
        assert re.fullmatch(r"[a-z][a-zA-Z]{2,30}", name), name
    assert len(set(found.values())) == len(found)


def test_every_operation_is_tagged_for_what_it_is_about() -> None:
    for _method, path, operation in operations():
        prefix = next(p for p in TAG_BY_PREFIX if path == p or path.startswith(p + "/"))
        assert operation["tags"] == [TAG_BY_PREFIX[prefix]], path
    declared = {tag["name"] for tag in document()["tags"]}
    assert declared == set(TAG_BY_PREFIX.values())
    assert all(tag["description"] for tag in document()["tags"])


def test_the_error_codes_are_an_enum_that_error_out_uses() -> None:
    schemas = document()["components"]["schemas"]
    assert schemas["ErrorCode"]["type"] == "string"
    assert set(schemas["ErrorCode"]["enum"]) == set(ERROR_CODES)
    assert schemas["ErrorOut"]["properties"]["error"] == {
        "$ref": "#/components/schemas/ErrorDetail"
    }
    assert schemas["ErrorDetail"]["properties"]["code"] == {
        "$ref": "#/components/schemas/ErrorCode"
    }
    for code in ERROR_CODES:
        assert f"`{code}`" in schemas["ErrorCode"]["description"]


def test_each_operation_lists_its_codes_under_every_status_it_can_answer() -> None:
    for method, path, operation in operations():
        codes = operation["x-error-codes"]
        assert codes and set(codes) <= set(ERROR_CODES), (method, path)
        errors = {int(s): r for s, r in operation["responses"].items() if int(s) >= 400}
        assert set(errors) == {ERROR_CODES[code].status for code in codes}, (method, path)
        for code in codes:
            response = errors[ERROR_CODES[code].status]
            assert f"`{code}`" in response["description"], (method, path, code)
            schema = response["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/ErrorOut"}


@pytest.mark.parametrize("operation_id", sorted(CONTRACT_CODES))
def test_each_operation_lists_the_codes_the_contract_gives_it(operation_id: str) -> None:
    operation = next(op for _m, _p, op in operations() if op["operationId"] == operation_id)
    assert CONTRACT_CODES[operation_id] <= set(operation["x-error-codes"])


def test_every_operation_can_answer_503_and_unsafe_ones_csrf_failed() -> None:
    for method, path, operation in operations():
        assert "service_unavailable" in operation["x-error-codes"], path
        unsafe = method in {"post", "put", "patch", "delete"}
        assert ("csrf_failed" in operation["x-error-codes"]) == unsafe, (method, path)
        assert ("request_too_large" in operation["x-error-codes"]) == unsafe, (method, path)


def test_the_session_cookie_and_the_csrf_header_are_security_schemes() -> None:
    schemes = document()["components"]["securitySchemes"]
    assert schemes["sessionCookie"] == {
        "type": "apiKey",
        "in": "cookie",
        "name": "carekey_session",
        "description": schemes["sessionCookie"]["description"],
    }
    assert (schemes["csrfHeader"]["in"], schemes["csrfHeader"]["name"]) == ("header", "X-CSRFToken")
    assert (schemes["csrfCookie"]["in"], schemes["csrfCookie"]["name"]) == ("cookie", "csrftoken")
    for method, path, operation in operations():
        (requirement,) = operation["security"]
        unsafe = method in {"post", "put", "patch", "delete"}
        assert ("csrfHeader" in requirement) == unsafe, (method, path)
        assert ("csrfCookie" in requirement) == unsafe, (method, path)
        guarded = not path.startswith(("/api/v1/session", "/api/v1/password"))
        if guarded:
            assert "sessionCookie" in requirement, (method, path)
    signed_out_ok = {"signIn", "signOut", "requestPasswordReset", "confirmPasswordReset"}
    for _method, _path, operation in operations():
        if operation["operationId"] in signed_out_ok:
            assert "sessionCookie" not in operation["security"][0]


def test_factor_ids_are_uuids() -> None:
    schemas = document()["components"]["schemas"]
    for name in ("FactorOut", "EnrolledFactorOut", "VerifiedFactorOut"):
        assert schemas[name]["properties"]["id"]["format"] == "uuid", name
    for _method, path, operation in operations():
        for parameter in operation.get("parameters", []):
            if parameter["name"] == "factor_id":
                assert parameter["schema"]["format"] == "uuid", path


def test_204_operations_document_no_content() -> None:
    answers = [{str(s): r for s, r in op["responses"].items()} for _m, _p, op in operations()]
    no_content = [responses["204"] for responses in answers if "204" in responses]
    assert len(no_content) >= 6
    for response in no_content:
        assert "content" not in response


def test_204_answers_carry_no_content_type(signed_in_api: ApiClient) -> None:
    factor_id, _secret = enroll(signed_in_api)
    answers = [
        signed_in_api.delete(f"/mfa/factors/{factor_id}"),
        signed_in_api.delete("/sessions/others"),
        signed_in_api.delete("/session"),
    ]
    for response in answers:
        assert response.status_code == 204
        assert response.content == b""
        assert "Content-Type" not in response.headers, response.headers


def test_the_document_is_the_same_in_any_language(api: ApiClient) -> None:
    english = api.get("/openapi.json", headers={"Accept-Language": "en"}).json()
    spanish = api.get("/openapi.json", headers={"Accept-Language": "es"}).json()
    assert english == spanish


def test_docs_api_md_names_every_operation_and_every_code() -> None:
    text = (Path(__file__).resolve().parents[2] / "docs" / "api.md").read_text()
    for name in OPERATION_IDS.values():
        assert f"`{name}`" in text, name
    for code in ERROR_CODES:
        assert f"`{code}`" in text, code


def test_a_factor_id_that_is_not_a_uuid_is_not_found(signed_in_api: ApiClient) -> None:
    response = signed_in_api.delete("/mfa/factors/not-a-uuid")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "mfa_factor_not_found"
