"""What django-ninja answers by itself under /api/v1, put in the API's own terms.

A wrong method gets ninja's `text/html` "Method not allowed"; a 204 keeps Django's default
`text/html` Content-Type though it has no content. Every URL of the API goes through
`in_our_words`, so those answers carry the error body of CONTRACT §3, or no Content-Type.
(Unknown paths, unreadable and too large bodies are answered in gate/errors.py.)
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _

from carekey.api.errors import error_response

View = Callable[..., HttpResponse]
# ninja's URL names for the document and the interactive docs: pages to read, GET only.
READ_ONLY = {"openapi-json", "openapi-view"}
READ_METHODS = ("GET", "HEAD")


def method_not_allowed(method: str, allowed: list[str]) -> JsonResponse:
    listed = sorted(allowed)
    response = error_response(
        405,
        "method_not_allowed",
        _("This address does not accept %(method)s requests; it accepts %(allowed)s.")
        % {"method": method, "allowed": ", ".join(listed)},
    )
    response["Allow"] = ", ".join(listed)
    return response


def _allowed(response: HttpResponse) -> list[str]:
    return [m.strip() for m in str(response.get("Allow", "")).split(",") if m.strip()]


def in_our_words(view: View, name: str | None) -> View:
    """Wrap one API view: JSON for a wrong method, no Content-Type on a 204.

    Marked CSRF-exempt for Django's own middleware: the gate checks CSRF for every unsafe
    /api/v1 call, the document's URLs included (Django's check would read a form body the
    gate then cannot).
    """

    @wraps(view)
    def answer(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        method = str(request.method)
        if name in READ_ONLY and method not in READ_METHODS:
            return method_not_allowed(method, list(READ_METHODS))
        response = view(request, *args, **kwargs)
        if response.status_code == 405 and not isinstance(response, JsonResponse):
            return method_not_allowed(method, _allowed(response))
        if response.status_code == 204 and "Content-Type" in response:
            del response["Content-Type"]
        return response

    answer.csrf_exempt = True  # type: ignore[attr-defined]
    return answer
