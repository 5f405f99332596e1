"""When a passkey fails in the browser (cancelled, timed out, refused), passkeys.js posts
what happened instead of a credential: the patient reads a sentence for it, and for a
signed-in patient the attempt joins the audit trail. Nothing was checked, so nothing
counts in the throttle."""

from __future__ import annotations

from typing import NoReturn

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from carekey.accounts.models import User
from carekey.audit.record import record
from carekey.errors import StrOrPromise
from carekey.mfa.errors import PasskeyVerificationFailed

OUTCOMES: dict[str, StrOrPromise] = {
    "cancelled": _(
        "The passkey request was cancelled, or this device has no passkey for this site. "
        "Try again, or use another way."
    ),
    "timeout": _("The passkey request timed out. Try again."),
    "not_allowed": _("This browser does not allow passkeys at this address. Use another way."),
    "exists": _(
        "This device already has a passkey for your account. Use it to sign in, or add a "
        "passkey on another device."
    ),
    "unsupported": _(
        "This device cannot make the kind of passkey needed here. Try another device, or "
        "use an authenticator app."
    ),
}


def refuse(request: HttpRequest, user: User | None, outcome: str) -> NoReturn:
    known = outcome if outcome in OUTCOMES else "other"
    if user is not None:
        record(
            "mfa.challenge.failed",
            user=user,
            request=request,
            method="passkey",
            reason=f"browser_{known}",
        )
    raise PasskeyVerificationFailed(OUTCOMES.get(known))
