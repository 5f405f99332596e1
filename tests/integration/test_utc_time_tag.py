"""`{% utc_time %}` and `{% activity_rows %}` write exactly the markup the security page
had before issue 18 replaced its per-time filters and per-row template loop with them."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from django.template import Context, Template
from django.utils import timezone, translation

from carekey.portal.templatetags.portal_tags import time_markup, utc_time

BEFORE = '<time data-local datetime="{{ when|date:\'c\' }}">{{ when|date:"j M Y, H:i" }} UTC</time>'
AFTER = "{% load portal_tags %}{% utc_time when %}"


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize(
    "when",
    [
        datetime(2026, 12, 3, 14, 5, 9, 123456, tzinfo=UTC),
        datetime(2027, 1, 1, 0, 0, tzinfo=UTC),
        datetime(2026, 5, 7, 9, 3, tzinfo=UTC),
        datetime(987, 8, 30, 23, 59, tzinfo=UTC),
    ],
)
def test_the_tag_writes_what_the_filters_wrote(language: str, when: datetime) -> None:
    with translation.override(language):
        before = Template(BEFORE).render(Context({"when": when}))
        after = Template(AFTER).render(Context({"when": when}))
    assert after == before
    assert "UTC</time>" in after and when.isoformat() in after


def test_no_time_writes_nothing() -> None:
    assert Template(AFTER).render(Context({"when": None})) == ""


ROWS_BEFORE = (
    "{% load portal_tags %}{% for item in events %}<tr>"
    '<td data-label="{{ t }}">{% utc_time item.event.created_at %}</td>'
    '<td data-label="{{ w }}">{{ item.text }}</td>'
    '<td data-label="{{ d }}">{{ item.device }}</td>'
    "</tr>{% endfor %}"
)
ROWS_AFTER = "{% load portal_tags %}{% activity_rows events t w d %}"


def test_activity_rows_write_what_the_loop_wrote_and_escape_every_value() -> None:
    when = datetime(2026, 12, 3, 14, 5, tzinfo=UTC)
    events = [
        {"event": SimpleNamespace(created_at=when), "text": "Signed in", "device": "Firefox"},
        {
            "event": SimpleNamespace(created_at=when),
            "text": '<script>alert("x")</script>',
            "device": "Bob's <b>phone</b> & tablet",
        },
    ]
    context = {"events": events, "t": "Time", "w": 'What "happened"', "d": "Device<>"}
    before = Template(ROWS_BEFORE).render(Context(context))
    after = Template(ROWS_AFTER).render(Context(context))
    assert re.sub(r">\s+<", "><", after) == before
    assert "<script>" not in after and "&lt;script&gt;" in after
    assert after.count("<tr>") == 2


def test_no_activity_writes_no_rows() -> None:
    assert Template(ROWS_AFTER).render(Context({"events": [], "t": "", "w": "", "d": ""})) == ""


def test_the_time_is_written_in_utc_whatever_zone_is_active() -> None:
    """The text says UTC: a zone activated by some request must not shift it."""
    when = datetime(2026, 12, 3, 14, 5, tzinfo=UTC)
    with timezone.override("America/New_York"):
        rendered = Template(AFTER).render(Context({"when": when}))
    assert rendered == (
        '<time data-local datetime="2026-12-03T14:05:00+00:00">3 Dec 2026, 14:05 UTC</time>'
    )


def test_a_shared_month_cache_writes_what_a_fresh_one_writes() -> None:
    months: dict[int, str] = {}
    for language in ("en", "es"):
        months.clear()
        with translation.override(language):
            for month in (1, 5, 12, 5):
                when = datetime(2026, month, 3, 14, 5, tzinfo=UTC)
                assert time_markup(when, months) == utc_time(when)
    assert len(months) == 3
