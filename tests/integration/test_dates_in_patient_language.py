"""Dates on the security page are in the patient's language (CONTRACT §2): Spanish months
for a Spanish reader, English otherwise, for both the factor's "Added" time and the
activity times."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client

from carekey.accounts.models import User
from tests.integration.test_mfa_pages import start
from tests.mfa_helpers import code_now
from tests.page_helpers import elements, sign_in_page

pytestmark = pytest.mark.django_db
JANUARY = datetime(2026, 1, 14, 9, 30, tzinfo=UTC)
ENGLISH_MONTHS = ("Jan", "January")
SPANISH_MONTHS = ("ene", "enero")


def security_page_times(patient: User, language: str | None) -> tuple[list[str], list[str]]:
    """The shown text of the factor's "Added" time and of each activity time."""
    with time_machine.travel(JANUARY, tick=False) as traveller:
        client = Client(headers={"Accept-Language": language}) if language else Client()
        sign_in_page(client, patient.email)
        url, secret, _page = start(client)
        client.post(url, {"friendly_name": "Phone", "code": code_now(secret)})
        traveller.shift(timedelta(minutes=1))
        html = client.get("/portal/security").content.decode()
    two_step = re.search(r'aria-labelledby="two-step-heading">(.*?)</section>', html, re.S)
    activity = re.search(r'aria-labelledby="activity-heading">(.*?)</section>', html, re.S)
    assert two_step and activity
    added = [t for tag, _a, t in elements(two_step.group(1)) if tag == "time"]
    times = [t for tag, _a, t in elements(activity.group(1)) if tag == "time"]
    assert added and len(times) >= 3
    return added, times


def words(text: str) -> set[str]:
    return {w.lower().strip(".") for w in re.findall(r"[^\W\d_]+\.?", text)}


def test_dates_on_the_security_page_are_spanish_for_spanish_readers(patient: User) -> None:
    added, times = security_page_times(patient, "es-ES,es;q=0.9")
    for shown in added + times:
        assert words(shown) & set(SPANISH_MONTHS), shown
        assert not words(shown) & {m.lower() for m in ENGLISH_MONTHS}, shown
        assert "14" in shown and "2026" in shown


def test_dates_on_the_security_page_are_english_otherwise(patient: User) -> None:
    added, times = security_page_times(patient, None)
    for shown in added + times:
        assert words(shown) & {m.lower() for m in ENGLISH_MONTHS}, shown
        assert not words(shown) & set(SPANISH_MONTHS), shown
        assert "14" in shown and "2026" in shown
