"""Presentation filters for portal templates: nothing here reads the database."""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from django import template
from django.utils import timezone
from django.utils.dates import MONTHS_3
from django.utils.html import format_html_join
from django.utils.safestring import SafeString

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
def utc_time(value: datetime | None) -> SafeString:
    """The tag: one time, as `time_markup` writes it."""
    return time_markup(value, {})


def time_markup(value: datetime | None, months: dict[int, str]) -> SafeString:
    """`<time data-local datetime="ISO">3 Dec 2026, 14:05 UTC</time>`: the page shows UTC
    and the layout's script rewrites it in the reader's own zone.

    One tag where the markup took five template nodes and two `date` filters per time
    (issue 18: the security page shows up to 30 of them). The text is the `date` filter's
    "j M Y, H:i", written out: the generic formatter was most of this tag's time. A writer
    of many times passes one `months` dict, so each month's name is translated once.
    """
    if value is None:
        return SafeString("")
    if timezone.is_naive(value):
        raise ValueError("utc_time() needs an aware datetime")
    utc = value.astimezone(UTC)  # the text says UTC, whatever zone a request activated
    month = months.get(utc.month)
    if month is None:
        month = months[utc.month] = str(MONTHS_3[utc.month]).title()  # "M": translated
    text = f"{utc.day} {month} {utc.year:04d}, {utc.hour:02d}:{utc.minute:02d}"
    # html.escape is what Django's escape() applies (format_html's lazy-string checks
    # cost more than the escaping on a page of thirty times).
    return SafeString(
        f'<time data-local datetime="{html.escape(utc.isoformat())}">{html.escape(text)} UTC</time>'
    )


_ACTIVITY_ROW = (
    '<tr><td data-label="{}">{}</td><td data-label="{}">{}</td><td data-label="{}">{}</td></tr>'
)


@register.simple_tag
def activity_rows(events: Iterable[Mapping[str, Any]], *labels: str) -> SafeString:
    """The activity table's rows (time, what happened, device), every value escaped.

    One tag for up to 20 rows where a template loop took about ten nodes a row, the
    page's largest share of rendering (issue 18). `labels` are the three column names,
    repeated in each cell for the narrow layout's stacked rows.
    """
    time_label, what_label, device_label = labels
    months: dict[int, str] = {}
    return format_html_join(
        "\n",
        _ACTIVITY_ROW,
        (
            (
                time_label,
                time_markup(item["event"].created_at, months),
                what_label,
                item["text"],
                device_label,
                item["device"],
            )
            for item in events
        ),
    )
