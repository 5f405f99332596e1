"""Session lifetime and the access gate: one place decides who reaches what."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from carekey import clock
from carekey.accounts import device_cookies, sessions
from carekey.accounts.models import User
from carekey.api.errors import error_response
from carekey.applock import services as applock
from carekey.navigation import (
    LOCKED,
    SECURITY,
    VERIFY,
    redirect_with_next,
    signin_redirect,
)
from carekey.policy import models as policy
from carekey.routes import (
    ADMIN_PREFIX,
    API_DOCS,
    API_OPEN,
    API_PREFIX,
    API_SESSION,
    API_UNENROLLED,
    API_UNLOCK,
    API_WHILE_LOCKED,
    PORTAL_BEFORE_SECOND_FACTOR,
    PORTAL_OPEN,
    PORTAL_PREFIX,
    PORTAL_UNENROLLED,
    PORTAL_WHILE_LOCKED,
    is_open,
)

Handler = Callable[[HttpRequest], HttpResponse]

logger = logging.getLogger("carekey.gate")


def enrollment_required() -> bool:
    return policy.current().require_mfa


def _csrf_refusal(request: HttpRequest) -> HttpResponse | None:
    """Django's CSRF check for an unsafe API call (django-ninja exempts its views)."""
    if request.method in ("GET", "HEAD", "OPTIONS", "TRACE"):
        return None
    from ninja.utils import check_csrf

    request.body  # noqa: B018 - cache it: the CSRF check may parse a form body
    return check_csrf(request)


class SessionLifetimeMiddleware:
    """Ends sessions past the idle, absolute or verify-step limit before anything reads them."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = request.session
        if sessions.is_signed_in(session) and sessions.expiry_reason(session, clock.timestamp()):
            session.flush()
        response = self.get_response(request)
        if response.status_code >= 500:
            _discard_rotated_row(request)
        return response


def _discard_rotated_row(request: HttpRequest) -> None:
    """A 5xx is not saved by Django's SessionMiddleware, so a rotation in this request
    would leave its old row (and cookie) as they were; end that row instead."""
    discard = getattr(request.session, "discard_replaced_row", None)
    if discard is None:
        return
    try:
        discard()
    except DatabaseError:  # the database is what failed: the 503 stands, nothing more to do
        logger.warning("could not end a rotated session's old row after a failed response")


class AccessGateMiddleware:
    """Every portal page and API call needs a full, unlocked session unless listed as open.

    New pages and endpoints are gated by default; nobody has to remember a decorator.
    The order is: signed in, second factor given (aal2), not locked. API calls also get
    their CSRF check here, because django-ninja exempts its views.
    """

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if isinstance(user, User) and not sessions.awaits_second_factor(request.session):
            now = clock.timestamp()
            if not applock.lock_if_idle(request, user, now):
                sessions.touch(request, now)
        response = self.get_response(request)
        device_cookies.apply(request, response, secure=settings.SESSION_COOKIE_SECURE)
        return response

    def process_view(
        self, request: HttpRequest, view: Callable[..., Any], args: Any, kwargs: Any
    ) -> HttpResponse | None:
        path = request.path_info  # what Django routes on; never a client-set prefix
        if path.startswith(API_PREFIX):
            return self._gate_api(request, path)
        if path.startswith((PORTAL_PREFIX, ADMIN_PREFIX)) and not is_open(path, PORTAL_OPEN):
            return self._gate_page(request, path)
        return None

    def _gate_page(self, request: HttpRequest, path: str) -> HttpResponse | None:
        if not request.user.is_authenticated:
            return signin_redirect(request)
        if sessions.awaits_second_factor(request.session):
            if is_open(path, PORTAL_BEFORE_SECOND_FACTOR):
                return None
            return redirect_with_next(VERIFY, request)
        if applock.is_locked(request) and not is_open(path, PORTAL_WHILE_LOCKED):
            return redirect_with_next(LOCKED, request)
        if sessions.next_level(request.session) == "aal2" or is_open(path, PORTAL_UNENROLLED):
            return None
        if path.startswith(ADMIN_PREFIX) and request.user.is_staff:
            return redirect_with_next(SECURITY, request)  # staff enroll before the admin
        if enrollment_required():
            return redirect_with_next(SECURITY, request)
        return None

    def _gate_api(self, request: HttpRequest, path: str) -> HttpResponse | None:
        rejected = _csrf_refusal(request)
        if rejected is not None:
            return rejected
        if is_open(path, API_DOCS):
            return None
        call = (str(request.method), path.rstrip("/") or path)
        locked = request.user.is_authenticated and applock.is_locked(request)
        if locked and call not in API_WHILE_LOCKED and call != API_UNLOCK:
            return error_response(
                423,
                "session_locked",
                _("The portal is locked. Unlock it first (POST /api/v1/session/unlock)."),
            )
        if is_open(path, (API_SESSION, *API_OPEN)):
            return None
        if not request.user.is_authenticated:
            return error_response(401, "not_authenticated", _("Sign in first."))
        if sessions.awaits_second_factor(request.session):
            return error_response(
                403,
                "insufficient_aal",
                _("Enter a code from your authenticator app first (POST /api/v1/session/verify)."),
            )
        if (
            sessions.next_level(request.session) == "aal1"
            and not is_open(path, API_UNENROLLED)
            and enrollment_required()
        ):
            return error_response(
                403,
                "mfa_enrollment_required",
                _(
                    "Your organisation requires two-step verification. Set it up first "
                    "(POST /api/v1/mfa/factors)."
                ),
            )
        return None
