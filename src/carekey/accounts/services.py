"""Sign-in and sign-out: the rules the page and the API share."""

from __future__ import annotations

from django.contrib.auth import authenticate, login, logout
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from carekey.accounts import sessions, throttle
from carekey.accounts.models import User, normalize_email
from carekey.audit.record import record
from carekey.mfa.services import has_verified_factor

GENERIC_FAILURE = _("Email or password is incorrect.")


class InvalidCredentials(Exception):
    def __init__(self) -> None:
        super().__init__(str(GENERIC_FAILURE))


def sign_in(request: HttpRequest, email: str, password: str) -> User:
    """Check a password under the per-account throttle and start a fresh session.

    Passwords have a count of their own, which a correct password resets; a wrong one
    also counts against the account's shared code count, which only a correct code
    resets, so signing in again never buys fresh code guesses.

    Unknown emails are throttled under a key of their own, so a stranger learns nothing
    from the answers about which accounts exist.
    """
    address = normalize_email(email)
    known = User.objects.filter(email=address).first()
    key = throttle.key_for_password(known.pk) if known else throttle.key_for_unknown_email(address)
    try:
        attempt = throttle.begin(key)
    except throttle.Throttled:
        record("signin.failed", user=known, request=request, reason="throttled")
        raise
    user = authenticate(request, email=address, password=password)
    if not isinstance(user, User):
        attempt.failed()
        if known:  # a wrong password also counts against the account's codes
            throttle.record_failure(throttle.key_for_user(known.pk))
        record("signin.failed", user=known, request=request, reason="invalid_credentials")
        raise InvalidCredentials()
    attempt.succeeded()
    login(request, user)
    sessions.start(request, next_level="aal2" if has_verified_factor(user) else "aal1")
    record("signin.succeeded", user=user, request=request)
    return user


def sign_out(request: HttpRequest) -> None:
    logout(request)
