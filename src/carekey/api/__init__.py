"""The JSON API under /api/v1 (django-ninja), sharing its services with the pages."""

from __future__ import annotations

import logging

from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja.errors import AuthenticationError, HttpError, ValidationError

from carekey.api.activity import router as activity_router
from carekey.api.applock import router as applock_router
from carekey.api.apps import router as apps_router
from carekey.api.devices import router as devices_router
from carekey.api.errors import error_response, from_error, service_unavailable
from carekey.api.mfa import router as mfa_router
from carekey.api.openapi import CareKeyApi, CsrfSwagger
from carekey.api.password import router as password_router
from carekey.api.session import router as session_router
from carekey.errors import CareKeyError

logger = logging.getLogger("carekey.api")

api = CareKeyApi(
    title="CareKey API",
    version="1",
    description="Sessions, passwords, MFA factors, recovery codes, app lock, devices, security "
    "events and connected apps for patient portals. Error codes and operations: docs/api.md.",
    urls_namespace="api",
    docs=CsrfSwagger(),
)
api.add_router("/", session_router)
api.add_router("/", password_router)
api.add_router("/", mfa_router)
api.add_router("/", applock_router)
api.add_router("/", devices_router)
api.add_router("/", activity_router)
api.add_router("/", apps_router)


def _sentence(errors: list[dict[str, object]]) -> str:
    if not errors:
        return _("The request is not valid.")
    first = errors[0]
    location = [str(part) for part in first.get("loc", ()) if part not in ("body", "payload")]  # type: ignore[attr-defined]
    field = ".".join(location)
    kind = str(first.get("type", ""))
    if kind == "missing" and field:
        return _("The field '%(field)s' is required.") % {"field": field}
    if kind in {"json_invalid", "model_attributes_type", "dict_type", "model_type"} or not field:
        return _("The request body must be a JSON object.")
    return _field_sentence(field, kind, first.get("ctx"))


def _field_sentence(field: str, kind: str, ctx: object) -> str:
    """Our own words for each kind of validation error, never the library's English."""
    limits = ctx if isinstance(ctx, dict) else {}
    names = {"field": field}
    if kind in {"int_type", "int_parsing", "int_from_float"}:
        return _("The field '%(field)s' must be a whole number.") % names
    if kind in {"bool_type", "bool_parsing"}:
        return _("The field '%(field)s' must be true or false.") % names
    if kind == "string_type":
        return _("The field '%(field)s' must be text.") % names
    if kind == "string_too_long" and "max_length" in limits:
        return _("The field '%(field)s' must be at most %(n)s characters long.") % {
            **names,
            "n": limits["max_length"],
        }
    if kind == "string_too_short":
        return _("The field '%(field)s' must not be empty.") % names
    if kind == "extra_forbidden":
        return _("The field '%(field)s' is not accepted here.") % names
    if kind == "literal_error" and "expected" in limits:
        return _("The field '%(field)s' must be one of: %(choices)s.") % {
            **names,
            "choices": limits["expected"],
        }
    if kind in {"greater_than_equal", "less_than_equal", "greater_than", "less_than"}:
        return _("The field '%(field)s' is out of range.") % names
    return _("The field '%(field)s' is not valid.") % names


@api.exception_handler(CareKeyError)
def _carekey_error(request: HttpRequest, exc: CareKeyError) -> HttpResponse:
    """Every domain error: its own code, status, sentence and Retry-After."""
    return from_error(exc)


@api.exception_handler(ValidationError)
def _validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return error_response(422, "validation_error", _sentence(list(exc.errors)))


@api.exception_handler(AuthenticationError)
def _authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return error_response(401, "not_authenticated", _("Sign in first."))


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if exc.status_code == 400:
        # django-ninja answers 400 for a body it cannot parse as an object.
        return error_response(422, "validation_error", _("The request body must be a JSON object."))
    return error_response(exc.status_code, "http_error", str(exc.message))


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error_response(404, "not_found", _("There is nothing at this address."))


@api.exception_handler(DatabaseError)
def _database_error(request: HttpRequest, exc: DatabaseError) -> HttpResponse:
    if isinstance(exc, OperationalError | InterfaceError):
        logger.error("database unavailable: %s", type(exc).__name__)
        return service_unavailable()
    raise exc
