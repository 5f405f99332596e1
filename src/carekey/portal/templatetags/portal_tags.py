"""Presentation filters for portal templates: nothing here reads the database."""

from __future__ import annotations

from datetime import datetime

from django import template
from django.utils import dateformat, timezone
from django.utils.html import format_html

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


@register.simple_tag
def utc_time(value: datetime | None) -> str:
    """`<time data-local datetime="ISO">3 Dec 2026, 14:05 UTC</time>`: the page shows UTC
    and the layout's script rewrites it in the reader's own zone.

    One tag where the markup took five template nodes and two `date` filters per time
    (issue 18: the security page shows up to 30 of them).
    """
    if value is None:
        return ""
    local = timezone.localtime(value)
    return format_html(
        '<time data-local datetime="{}">{} UTC</time>',
        local.isoformat(),
        dateformat.format(local, "j M Y, H:i"),
    )
