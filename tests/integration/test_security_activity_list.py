"""The security page's "Recent security activity" (CONTRACT §2): the newest twenty
events, newest first, each in plain language with the device it came from."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client

from carekey.accounts.models import User
from carekey.audit.models import SecurityEvent
from tests.page_helpers import CHROME_LINUX, FIREFOX, SAFARI, section, sign_in_page, text_of

pytestmark = pytest.mark.django_db
START = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def test_activity_shows_the_newest_twenty_with_their_devices(patient: User) -> None:
    with time_machine.travel(START, tick=False):
        client = Client(HTTP_USER_AGENT=FIREFOX)
        sign_in_page(client, patient.email)  # one signin.succeeded event, at START
        for k in range(1, 31):
            SecurityEvent.objects.create(
                type="app_lock.updated" if k % 2 else "session.unlocked",
                user=patient,
                created_at=START - timedelta(minutes=k),
                ip="192.0.2.7",
                user_agent=SAFARI if k % 2 else CHROME_LINUX,
            )
        assert SecurityEvent.objects.filter(user=patient).count() == 31
        html = client.get("/portal/security").content.decode()
    activity = section(html, "activity-heading")
    body = re.search(r"<tbody>(.*?)</tbody>", activity, flags=re.S)
    assert body
    rows = re.findall(r"<tr>(.*?)</tr>", body.group(1), flags=re.S)
    assert len(rows) == 20
    times, devices, texts = [], [], []
    for row in rows:
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.S)
        assert len(cells) == 3
        stamp = re.search(r'datetime="([^"]+)"', cells[0])
        assert stamp
        times.append(datetime.fromisoformat(stamp.group(1)))
        texts.append(text_of(cells[1]))
        devices.append(text_of(cells[2]))
    assert times == [START - timedelta(minutes=k) for k in range(20)]  # newest first
    assert texts[0] == "Signed in with your password"
    assert texts[1] == "Changed app lock settings" and texts[2] == "Unlocked the portal"
    assert devices[0] == "Firefox on Windows"
    for k in range(1, 20):
        assert devices[k] == ("Mobile Safari on iOS" if k % 2 else "Chrome on Linux"), k
