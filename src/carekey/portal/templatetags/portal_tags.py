"""What a few portal templates ask of the features below them, in the templates' own terms.

The home and enrollment views render their pages with little context; these tags add
the facts a page shows (is two-step verification on, the otpauth:// link of the
enrollment in progress, whether a factor still has the name it was given by default)
through the same service calls the views make, and compute nothing themselves.
"""

from __future__ import annotations

from typing import Any

from django import template

from carekey.accounts.models import User
from carekey.mfa import services
from carekey.mfa.models import Factor
from carekey.mfa.names import DEFAULT_NAME, is_default_name
from carekey.mfa.passkey_kind import DEFAULT_NAME as PASSKEY_DEFAULT_NAME
from carekey.mfa.passkey_kind import TYPE as PASSKEY

register = template.Library()


@register.simple_tag
def two_step_on(user: Any) -> bool:
    """True once the patient has a verified factor (home stops urging them to add one)."""
    return isinstance(user, User) and services.has_verified_factor(user)


@register.simple_tag(takes_context=True)
def otpauth_uri(context: template.Context, factor: Factor) -> str:
    """The enrollment's otpauth:// URI (the QR code's content), for "Open in your
    authenticator app" on a phone; empty when this session is not enrolling `factor`."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if request is None or not isinstance(user, User):
        return ""
    setup = services.enrollment_setup(request, user, factor)
    uri = getattr(setup, "uri", "")
    return uri if isinstance(uri, str) and uri.startswith("otpauth://") else ""


@register.filter
def has_default_name(factor: Factor) -> bool:
    """Named by default ("Authenticator app 2", "Passkey"): the name repeats the Type."""
    default = PASSKEY_DEFAULT_NAME if factor.factor_type == PASSKEY else DEFAULT_NAME
    return is_default_name(factor.friendly_name, default)
