"""The OpenAPI document, completed with what django-ninja cannot see from the views.

The gate (gate/middleware.py) answers 401, 403 and 423 before any view, the framework
answers 400, 404, 413 and 422 for unreadable input, and an outage answers 503; each route
names the codes its services raise (`raises(...)`). From those codes this module writes
every error response of every operation, with the codes it can carry, the `ErrorCode`
enum, the cookie and CSRF security schemes, the tags and the app-lock delays, so clients
generated from the document know every answer (docs/api.md).
"""

from __future__ import annotations

import json
import re
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern
from django.utils import translation
from ninja import NinjaAPI
from ninja.openapi.docs import Swagger
from ninja.operation import Operation

from carekey.api.error_codes import ERROR_CODES
from carekey.api.framework import in_our_words
from carekey.api.schemas import ErrorOut
from carekey.applock import services as applock
from carekey.routes import (
    API_OPEN,
    API_SESSION,
    API_UNENROLLED,
    API_UNLOCK,
    API_WHILE_LOCKED,
    is_open,
)

UNSAFE = {"post", "put", "patch", "delete"}
ERROR_BODY = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}
# Calls that work without a session (sign in, sign out, passkey sign-in, password reset).
SIGNED_OUT_OK = {
    "signIn",
    "signOut",
    "getPasskeyRequestOptions",
    "authenticateWithPasskey",
    "requestPasswordReset",
    "confirmPasswordReset",
}
UUID_PARAMETERS = {"factor_id"}
TAGS = [
    {"name": "session", "description": "Sign in, the second step, reauthentication, unlock."},
    {"name": "password", "description": "Change the password, or reset a forgotten one."},
    {"name": "mfa", "description": "Authenticator apps, passkeys and recovery codes."},
    {"name": "app lock", "description": "Lock the portal after the patient is away."},
    {"name": "devices", "description": "The patient's signed-in devices (sessions)."},
    {"name": "security events", "description": "The patient's recent security activity."},
    {"name": "connected apps", "description": "Apps that sign in through CareKey (OpenID)."},
]


def raises(*codes: str) -> dict[str, Any]:
    """A route's `openapi_extra`: the error codes its services can raise (the gate's and
    the framework's are added by `gate_codes`)."""
    unknown = [code for code in codes if code not in ERROR_CODES]
    assert not unknown, f"add {unknown} to api/error_codes.py"
    return {"x-error-codes": list(codes)}


def security_schemes() -> dict[str, Any]:
    return {
        "sessionCookie": {
            "type": "apiKey",
            "in": "cookie",
            "name": settings.SESSION_COOKIE_NAME,
            "description": "The session, shared with the portal's pages: set by POST "
            "/api/v1/session, HttpOnly, rotated at sign-in, the second step and unlock.",
        },
        "csrfCookie": {
            "type": "apiKey",
            "in": "cookie",
            "name": settings.CSRF_COOKIE_NAME,
            "description": "Set by GET /api/v1/session, signed in or not.",
        },
        "csrfHeader": {
            "type": "apiKey",
            "in": "header",
            "name": "X-CSRFToken",
            "description": "Every POST, PUT, PATCH and DELETE sends the csrftoken cookie's value "
            "here; otherwise 403 csrf_failed.",
        },
    }


def gate_codes(method: str, path: str, operation: dict[str, Any]) -> set[str]:
    """The codes the gate and the framework can answer for one operation, before its view."""
    codes = {"bad_request", "service_unavailable"}
    call = (method.upper(), path)
    if not is_open(path, (API_SESSION, *API_OPEN)):
        codes |= {"not_authenticated", "insufficient_aal"}
        if not is_open(path, API_UNENROLLED):
            codes.add("mfa_enrollment_required")
    if method in UNSAFE:
        codes |= {"csrf_failed", "request_too_large"}
    if call not in API_WHILE_LOCKED and call != API_UNLOCK:
        codes.add("session_locked")
    parameters = operation.get("parameters", [])
    if "requestBody" in operation or parameters:
        codes.add("validation_error")
    if any(parameter.get("in") == "path" for parameter in parameters):
        codes.add("not_found")  # an id with a "/" in it matches no route
    return codes


def _declare_errors(operation: dict[str, Any], codes: set[str]) -> None:
    responses = operation.setdefault("responses", {})
    for status in [s for s in responses if int(s) >= 400]:
        del responses[status]  # ninja's "Unprocessable Content" and the like: ours instead
    by_status: dict[int, list[str]] = {}
    for code in sorted(codes):
        by_status.setdefault(ERROR_CODES[code].status, []).append(code)
    for status, named in sorted(by_status.items()):
        lines = [f"- `{code}`: {ERROR_CODES[code].meaning}" for code in named]
        responses[status] = {"description": "\n".join(lines), "content": ERROR_BODY}
    operation["x-error-codes"] = sorted(codes, key=lambda c: (ERROR_CODES[c].status, c))


def _security(method: str, operation: dict[str, Any]) -> list[dict[str, list[str]]]:
    csrf: dict[str, list[str]] = {"csrfCookie": [], "csrfHeader": []} if method in UNSAFE else {}
    if operation["operationId"] in SIGNED_OUT_OK:
        return [csrf]
    return [{"sessionCookie": [], **csrf}]


def _complete_operation(method: str, path: str, operation: dict[str, Any]) -> None:
    codes = set(operation.get("x-error-codes", ())) | gate_codes(method, path, operation)
    _declare_errors(operation, codes)
    operation["security"] = _security(method, operation)
    for parameter in operation.get("parameters", []):
        if parameter.get("in") == "path" and parameter["name"] in UUID_PARAMETERS:
            parameter["schema"]["format"] = "uuid"


def _complete_schemas(schemas: dict[str, Any]) -> None:
    codes = sorted(ERROR_CODES, key=lambda c: (ERROR_CODES[c].status, c))
    schemas["ErrorCode"] = {
        "title": "ErrorCode",
        "type": "string",
        "enum": codes,
        "description": "What went wrong, for programs; `message` says it for people.\n\n"
        + "\n".join(f"- `{c}` ({ERROR_CODES[c].status}): {ERROR_CODES[c].meaning}" for c in codes),
    }
    error_body = ErrorOut.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(error_body.pop("$defs"), ErrorOut=error_body)
    schemas["ErrorDetail"]["properties"]["code"] = {"$ref": "#/components/schemas/ErrorCode"}
    with translation.override("en"):  # the document reads the same whoever asks
        rule = applock.lock_minutes_rule()
    minutes = schemas["AppLockIn"]["properties"]["timeout_minutes"]
    minutes["enum"] = list(applock.offered_lock_minutes())
    minutes["description"] = (
        f"{rule} The organisation's policy may allow fewer (422 validation_error)."
    )


def complete_document(document: dict[str, Any]) -> dict[str, Any]:
    for path, methods in document.get("paths", {}).items():
        for method, operation in methods.items():
            _complete_operation(method, path, operation)
    components = document.setdefault("components", {})
    _complete_schemas(components.setdefault("schemas", {}))
    components["securitySchemes"] = security_schemes()
    document["tags"] = TAGS
    return document


class CsrfSwagger(Swagger):
    """The interactive docs send X-CSRFToken, so "Try it out" works for unsafe calls too.

    django-ninja adds the header only when an auth class asks for CSRF; CareKey's CSRF
    check is in the gate (every unsafe /api/v1 call), which the docs cannot see.
    """

    def render_page(self, request: HttpRequest, api: NinjaAPI, **kwargs: Any) -> HttpResponse:
        self.settings["url"] = self.get_openapi_url(api, kwargs)
        context = {
            "swagger_settings": json.dumps(self.settings, indent=1),
            "api": api,
            "add_csrf": True,
        }
        return render(request, self.template, context)


def camel_case(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


class CareKeyApi(NinjaAPI):
    """NinjaAPI whose document lists every answer, and whose framework answers are ours."""

    def get_openapi_schema(self, **kwargs: Any) -> Any:
        return complete_document(super().get_openapi_schema(**kwargs))

    def get_openapi_operation_id(self, operation: Operation) -> str:
        """A route without `operation_id=` still gets a short one: its view's name."""
        return camel_case(re.sub(r"\W", "_", operation.view_func.__name__))

    def _get_urls(self) -> Any:
        patterns = super()._get_urls()
        for pattern in patterns:
            if isinstance(pattern, URLPattern):
                pattern.callback = in_our_words(pattern.callback, pattern.name)
        return patterns
