"""Error pages: JSON under /api/, plain pages elsewhere."""

from __future__ import annotations

import logging
import sys

from django.core.exceptions import RequestDataTooBig
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from carekey.api.errors import error_response
from carekey.api.errors import service_unavailable as api_service_unavailable
from carekey.routes import API_ROOT

logger = logging.getLogger("carekey.portal")


def _is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith(API_ROOT)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    if _is_api(request):
        return error_response(
            403,
            "csrf_failed",
            _(
                "The X-CSRFToken header must match the csrftoken cookie; "
                "GET /api/v1/session sets the cookie."
            ),
        )
    return render(
        request,
        "carekey/error.html",
        {
            "title": _("Your form expired"),
            "message": _(
                "For your safety the form could not be sent. Go back, reload the "
                "page and try again."
            ),
        },
        status=403,
    )


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        if isinstance(exception, RequestDataTooBig):  # over DATA_UPLOAD_MAX_MEMORY_SIZE
            return error_response(413, "request_too_large", _("The request is too large."))
        return error_response(400, "bad_request", _("The request could not be read."))
    return render(
        request,
        "carekey/error.html",
        {"title": _("Bad request"), "message": _("The request could not be read.")},
        status=400,
    )


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        return error_response(404, "not_found", _("There is nothing at this address."))
    return render(
        request,
        "carekey/error.html",
        {"title": _("Page not found"), "message": _("There is no page at this address.")},
        status=404,
    )


def server_error(request: HttpRequest) -> HttpResponse:
    """Django's last resort; a database that cannot be reached is a 503, not our bug."""
    if isinstance(sys.exc_info()[1], OperationalError | InterfaceError):
        logger.error("database unavailable for %s", request.path_info)
        return service_unavailable(request)
    if _is_api(request):
        return error_response(500, "internal_error", _("Something went wrong on our side."))
    return render(
        request,
        "carekey/error.html",
        {"title": _("Something went wrong"), "message": _("Something went wrong on our side.")},
        status=500,
    )


def service_unavailable(request: HttpRequest) -> HttpResponse:
    if _is_api(request):
        return api_service_unavailable()
    # No request context: its processors would ask the unavailable database for the user.
    response = HttpResponse(
        render_to_string(
            "carekey/error.html",
            {
                "title": _("Temporarily unavailable"),
                "message": _(
                    "The portal is unavailable for a moment. Please try again in a few minutes."
                ),
            },
        ),
        status=503,
    )
    response["Retry-After"] = "30"
    return response
