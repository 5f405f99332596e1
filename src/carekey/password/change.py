""" "Change password" (CONTRACT §7): the current password under the password throttle,
then a fresh session id, every other session and app token ended, an email, an audit."""

from __future__ import annotations

from django.contrib.auth import update_session_auth_hash
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext_lazy

from carekey import clock, notify, refusal_log
from carekey.accounts import app_tokens, password_checks, sessions
from carekey.accounts.models import PasswordResetLink, User
from carekey.audit.record import record
from carekey.errors import CareKeyError
from carekey.password.rules import MAX_LENGTH, check_new_password


class WrongCurrentPassword(CareKeyError):
    code = "invalid_credentials"
    status = 401
    default = gettext_lazy("Your current password is not correct.")


def change_password(request: HttpRequest, user: User, current: str, new: str) -> int:
    """Check, then set the new password; returns how many other sessions were signed out.

    The new password is judged first: a weak one costs no throttle slot and no hash. A
    wrong current password counts like a wrong password at sign-in, so this form is no
    way around the sign-in throttle.
    """
    check_new_password(new, user, current=current)
    try:
        attempts = password_checks.reserve(request, user.email, user, "password.change_failed")
    except CareKeyError:
        refusal_log.note(request, refusal_log.THROTTLED)
        raise
    if len(current) > MAX_LENGTH or not user.check_password(current):
        refusal_log.note(request, refusal_log.WRONG_PASSWORD)
        password_checks.failed(attempts)
        record("password.change_failed", user=user, request=request)
        raise WrongCurrentPassword()
    password_checks.succeeded(attempts)
    with transaction.atomic():
        store_new_password(user, new)
        update_session_auth_hash(request, user)  # a new id for this session, kept signed in
        ended = sessions.revoke_others(user, request.session.session_key, request.session)
        record("password.changed", user=user, request=request, sessions_ended=ended)
        app_tokens.revoke_all_recorded(request, user)
    notify.send("password_changed", user, request)
    return ended


def store_new_password(user: User, password: str) -> None:
    """Hash and save the password, stamp the change, and kill every reset link."""
    user.set_password(password)
    user.password_changed_at = clock.now()
    user.save(update_fields=["password", "password_changed_at"])
    PasswordResetLink.objects.filter(user=user).delete()
