"""Session lifetime and the access gate: one place decides who reaches what."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse

from carekey import clock
from carekey.accounts import sessions
from carekey.api.errors import error_response
from carekey.portal.navigation import VERIFY, redirect_with_next, signin_redirect

Handler = Callable[[HttpRequest], HttpResponse]

API_PREFIX = "/api/v1/"
# API paths any caller may reach: the session calls check for themselves.
API_OPEN = ("/api/v1/session", "/api/v1/openapi.json", "/api/v1/docs")
PORTAL_OPEN = ("/portal/signin",)
# What a password-only session of a patient with a verified factor may still reach.
PORTAL_BEFORE_SECOND_FACTOR = ("/portal/signout",)


class SessionLifetimeMiddleware:
    """Ends sessions past the idle or absolute limit before anything reads them."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = request.session
        if sessions.is_signed_in(session):
            now = clock.timestamp()
            if sessions.expiry_reason(session, now):
                session.flush()
            else:
                sessions.touch(request, now)
        return self.get_response(request)


def _is_api(path: str) -> bool:
    return path.startswith(API_PREFIX)


def _is_open(path: str, prefixes: tuple[str, ...]) -> bool:
    return any(path == p or path.startswith(p + "/") for p in prefixes)


class AccessGateMiddleware:
    """Requires a signed-in session for every portal page and API call but the open ones.

    New pages and endpoints are gated by default; nobody has to remember a decorator.
    API calls also get their CSRF check here, because django-ninja exempts its views.
    """

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Callable[..., Any], args: Any, kwargs: Any
    ) -> HttpResponse | None:
        path = request.path
        if _is_api(path):
            return self._gate_api(request, path)
        if not path.startswith("/portal/") or _is_open(path, PORTAL_OPEN):
            return None
        if not request.user.is_authenticated:
            return signin_redirect(request)
        if sessions.awaits_second_factor(request.session) and not _is_open(
            path, PORTAL_BEFORE_SECOND_FACTOR
        ):
            return redirect_with_next(VERIFY, request)
        return None

    def _gate_api(self, request: HttpRequest, path: str) -> HttpResponse | None:
        if request.method not in ("GET", "HEAD", "OPTIONS", "TRACE"):
            from ninja.utils import check_csrf

            rejected = check_csrf(request)
            if rejected is not None:
                return rejected
        if _is_open(path, API_OPEN):
            return None
        if not request.user.is_authenticated:
            return error_response(401, "not_authenticated", "Sign in first.")
        if sessions.awaits_second_factor(request.session):
            return error_response(
                403,
                "insufficient_aal",
                "Enter a code from your authenticator app first (POST /api/v1/session/verify).",
            )
        return None
