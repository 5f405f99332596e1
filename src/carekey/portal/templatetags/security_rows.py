"""The security page's factor and device rows, written in Python (issue 18).

A template loop took about twenty-five nodes a row, each resolved and escaped on every
load of the page; these tags write the same markup, byte for byte, with every value
escaped by `format_html`. tests/integration/test_security_rows.py renders the loops they
replace beside them and requires identical output.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from carekey.mfa.models import Factor
from carekey.mfa.passkey_kind import TYPE as PASSKEY
from carekey.portal.templatetags.portal_tags import has_default_name, time_markup

register = template.Library()

_FACTOR_ROW = (
    "\n    <tr>"
    '\n      <td data-label="{name_label}"><span class="factor-name" id="factor-{pk}-name">'
    "{name}</span>{default_note}</td>"
    '\n      <td data-label="{type_label}">{type}</td>'
    '\n      <td data-label="{status_label}">{status}</td>'
    '\n      <td data-label="{added_label}">{added}</td>'
    '\n      <td data-label="{used_label}">{used}</td>'
    '\n      <td><form method="get" action="{remove_url}"><button type="submit" '
    'class="button-secondary" aria-describedby="factor-{pk}-name">{remove_label}</button>'
    "</form></td>"
    "\n    </tr>\n    "
)
_FACTOR_COLUMNS = ("name", "type", "status", "added", "used")  # each cell's data-label


@register.simple_tag
def factor_rows(factors: Iterable[Factor], **labels: str) -> SafeString:
    """Each factor's row: name (and "(default name)"), type, status, added, last used and
    its Remove button. `labels` are the column names and words the cells repeat."""
    months: dict[int, str] = {}
    rows = [
        format_html(
            _FACTOR_ROW,
            pk=factor.pk,
            name=factor.friendly_name,
            default_note=format_html(' <span class="cell-note">{}</span>', labels["default_name"])
            if has_default_name(factor)
            else "",
            type=labels["passkey"] if factor.factor_type == PASSKEY else labels["app"],
            status=factor.get_status_display(),
            added=time_markup(factor.created_at, months),
            used=time_markup(factor.last_used_at, months)
            if factor.last_used_at
            else labels["never"],
            remove_url=reverse("factor-remove", args=[factor.pk]),
            remove_label=labels["remove"],
            **{f"{column}_label": labels[column] for column in _FACTOR_COLUMNS},
        )
        for factor in factors
    ]
    return mark_safe("".join(rows))  # noqa: S308 - every part came from format_html


_DEVICE_ROW = (
    "\n    <li>"
    "\n      <strong>{name}</strong>{this_device}<br>"
    '\n      <span id="device-{id}-details">{ip_label} {ip} · {active_label} {active}</span>'
    "\n      {sign_out}"
    "\n    </li>\n    "
)
_SIGN_OUT = (
    '<form method="post" action="{}">{}'
    '\n        <button type="submit" class="button-secondary" '
    'aria-describedby="device-{}-details">{}<span class="visually-hidden"> {}</span></button>'
    "\n      </form>"
)


@register.simple_tag(takes_context=True)
def device_rows(
    context: template.Context, devices: Iterable[Mapping[str, Any]], **labels: str
) -> SafeString:
    """Each signed-in device: its name, "This device", address and last activity, and for
    the others a Sign out button (the page's CSRF token, as `{% csrf_token %}` writes it)."""
    token = _csrf_input(context)
    months: dict[int, str] = {}
    rows = [
        format_html(
            _DEVICE_ROW,
            name=device["name"],
            this_device=format_html(' <span class="tag">{}</span>', labels["this_device"])
            if device["this_device"]
            else "",
            id=device["id"],
            ip_label=labels["ip"],
            ip=device["ip"] or labels["unknown"],
            active_label=labels["active"],
            active=time_markup(device["last_active_at"], months),
            sign_out=""
            if device["this_device"]
            else format_html(
                _SIGN_OUT,
                reverse("device-signout", args=[device["id"]]),
                token,
                device["id"],
                labels["sign_out"],
                device["name"],
            ),
        )
        for device in devices
    ]
    return mark_safe("".join(rows))  # noqa: S308 - every part came from format_html


def _csrf_input(context: template.Context) -> SafeString:
    """What Django's `{% csrf_token %}` writes for this context."""
    token = context.get("csrf_token")
    if not token or token == "NOTPROVIDED":
        return mark_safe("")
    return format_html('<input type="hidden" name="csrfmiddlewaretoken" value="{}">', token)
