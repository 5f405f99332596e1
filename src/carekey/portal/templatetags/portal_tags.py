"""Presentation filters for portal templates: nothing here reads the database."""

from __future__ import annotations

from django import template

from carekey.mfa.models import Factor
from carekey.mfa.names import DEFAULT_NAME, is_default_name
from carekey.mfa.passkey_kind import DEFAULT_NAME as PASSKEY_DEFAULT_NAME
from carekey.mfa.passkey_kind import TYPE as PASSKEY

register = template.Library()


@register.filter
def has_default_name(factor: Factor) -> bool:
    """Named by default ("Authenticator app 2", "Passkey"): the name repeats the Type."""
    default = PASSKEY_DEFAULT_NAME if factor.factor_type == PASSKEY else DEFAULT_NAME
    return is_default_name(factor.friendly_name, default)
