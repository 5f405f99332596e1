"""The one error body of the API: {"error": {"code", "message"}}."""

from __future__ import annotations

from django.http import JsonResponse
from django.utils.translation import gettext as _


class ApiError(Exception):
    """Raised by endpoints; turned into the error body by the API's exception handler."""

    def __init__(
        self, status: int, code: str, message: str, *, retry_after: int | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.retry_after = retry_after


def error_response(
    status: int, code: str, message: str, *, retry_after: int | None = None
) -> JsonResponse:
    response = JsonResponse({"error": {"code": code, "message": str(message)}}, status=status)
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    return response


def from_api_error(exc: ApiError) -> JsonResponse:
    return error_response(exc.status, exc.code, exc.message, retry_after=exc.retry_after)


def service_unavailable() -> JsonResponse:
    """The database cannot be reached: 503, and when to try again (as the 503 page says)."""
    return error_response(
        503,
        "service_unavailable",
        _("The service is unavailable. Try again shortly."),
        retry_after=30,
    )
