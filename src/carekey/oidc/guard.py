"""Refuse NUL bytes in an OAuth request before the toolkit reads it: PostgreSQL cannot
store or compare them, so a client_id or code containing one answered 500 (found by the
fuzzer). Any such request is malformed: `invalid_request`, as the protocol says."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse


def _has_nul(request: HttpRequest) -> bool:
    values = [*request.GET.values(), *request.POST.values()]
    if any("\x00" in value for value in values):
        return True
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "basic":
        try:
            return b"\x00" in base64.b64decode(credentials, validate=False)
        except (binascii.Error, ValueError):
            return False
    return "\x00" in credentials


def refuses_nul(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if _has_nul(request):
            body = {"error": "invalid_request", "error_description": "A value holds a NUL byte."}
            return JsonResponse(body, status=400)
        return view(request, *args, **kwargs)

    return guarded
