"""What follows a security change: a new session id, the other sessions ended, an email."""

from __future__ import annotations

from django.http import HttpRequest

from carekey import notify
from carekey.accounts import sessions
from carekey.accounts.models import User
from carekey.audit.record import record
from carekey.mfa.queries import remaining_recovery_codes


def after_security_change(request: HttpRequest, user: User) -> None:
    """New session id, every other session of the patient signed out (the old id too)."""
    sessions.rotate_and_revoke_others(request, user)


def recovery_code_spent(request: HttpRequest, user: User) -> int:
    left = remaining_recovery_codes(user)
    record("recovery_code.used", user=user, request=request, remaining=left)
    after_security_change(request, user)
    notify.send("recovery_code_used", user, request, remaining=left)
    return left
