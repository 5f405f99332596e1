"""The one error body of the API: {"error": {"code", "message"}}."""

from __future__ import annotations

from django.http import JsonResponse
from django.utils.translation import gettext as _

from carekey.errors import CareKeyError


class ApiError(CareKeyError):
    """An error only the API has (no signed-in user, say): code and status given here."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


def error_response(
    status: int, code: str, message: str, *, retry_after: int | None = None
) -> JsonResponse:
    response = JsonResponse({"error": {"code": code, "message": str(message)}}, status=status)
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    return response


def from_error(exc: CareKeyError) -> JsonResponse:
    return error_response(exc.status, exc.code, exc.message, retry_after=exc.retry_after)


def service_unavailable() -> JsonResponse:
    """The database cannot be reached: 503, and when to try again (as the 503 page says)."""
    return error_response(
        503,
        "service_unavailable",
        _("The service is unavailable. Try again shortly."),
        retry_after=30,
    )
