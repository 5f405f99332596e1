"""`{% utc_time %}` writes exactly the markup the security page's times had before
issue 18 replaced five template nodes and two `date` filters per time with it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.template import Context, Template
from django.utils import translation

BEFORE = '<time data-local datetime="{{ when|date:\'c\' }}">{{ when|date:"j M Y, H:i" }} UTC</time>'
AFTER = "{% load portal_tags %}{% utc_time when %}"


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize(
    "when",
    [datetime(2026, 12, 3, 14, 5, 9, 123456, tzinfo=UTC), datetime(2027, 1, 1, 0, 0, tzinfo=UTC)],
)
def test_the_tag_writes_what_the_filters_wrote(language: str, when: datetime) -> None:
    with translation.override(language):
        before = Template(BEFORE).render(Context({"when": when}))
        after = Template(AFTER).render(Context({"when": when}))
    assert after == before
    assert "UTC</time>" in after and when.isoformat() in after


def test_no_time_writes_nothing() -> None:
    assert Template(AFTER).render(Context({"when": None})) == ""
