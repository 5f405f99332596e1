"""The OpenAPI document, completed with the answers the access gate gives before any view.

The gate (accounts/middleware.py) answers 401, 403 and 423 for every route it guards, and
any database outage answers 503; the views never see those requests, so django-ninja cannot
know about them. Clients generated from the document need them declared, so this adds them
from the same constants the gate itself reads.
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from ninja import NinjaAPI
from ninja.openapi.docs import Swagger

from carekey.routes import API_SESSION, API_UNLOCK, API_WHILE_LOCKED, is_open

UNSAFE = {"post", "put", "patch", "delete"}
ERROR_BODY = {
    "application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}},
}
WHY = {
    401: "not_authenticated: no signed-in session.",
    403: "csrf_failed, insufficient_aal (a code is still owed), mfa_enrollment_required "
    "(the organisation requires MFA), or a rule of the call itself.",
    422: "validation_failed: the body or query is not valid.",
    423: "session_locked: unlock first with POST /api/v1/session/unlock.",
    503: "service_unavailable: the database cannot be reached; try again shortly.",
}


def gate_statuses(method: str, path: str, operation: dict[str, Any]) -> set[int]:
    """The statuses the gate (and the outage handler) can answer for one operation."""
    statuses = {503}
    call = (method.upper(), path)
    if not is_open(path, (API_SESSION,)):
        statuses |= {401, 403}
    if method in UNSAFE:
        statuses.add(403)
    if call not in API_WHILE_LOCKED and call != API_UNLOCK:
        statuses.add(423)
    takes_input = "requestBody" in operation or any(
        parameter.get("in") in {"query", "path"} for parameter in operation.get("parameters", [])
    )
    if takes_input:
        statuses.add(422)
    return statuses


def declare_gate_answers(document: dict[str, Any]) -> dict[str, Any]:
    for path, methods in document.get("paths", {}).items():
        for method, operation in methods.items():
            responses = operation.setdefault("responses", {})
            declared = {int(status) for status in responses}  # ninja keys them by int
            for status in sorted(gate_statuses(method, path, operation) - declared):
                responses[status] = {"description": WHY[status], "content": ERROR_BODY}
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


class CareKeyApi(NinjaAPI):
    """NinjaAPI whose document also lists the gate's answers."""

    def get_openapi_schema(self, **kwargs: Any) -> Any:
        return declare_gate_answers(super().get_openapi_schema(**kwargs))
