"""The one error body of the API: {"error": {"code", "message"}}."""

from __future__ import annotations

from django.http import JsonResponse


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
