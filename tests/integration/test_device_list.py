"""What the security page shows of the signed-in devices (CONTRACT §2): each other
device's IP address and last-active time, and which one is this device."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client

from carekey.accounts.models import User
from tests.page_helpers import CHROME_LINUX, FIREFOX, SAFARI, section, sign_in_page, text_of

pytestmark = pytest.mark.django_db
START = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def test_devices_list_shows_each_other_devices_ip_and_last_active_time(patient: User) -> None:
    phone = Client(HTTP_USER_AGENT=SAFARI, REMOTE_ADDR="10.1.2.3")
    laptop = Client(HTTP_USER_AGENT=CHROME_LINUX, REMOTE_ADDR="192.0.2.44")
    here = Client(HTTP_USER_AGENT=FIREFOX, REMOTE_ADDR="198.51.100.9")
    with time_machine.travel(START, tick=False) as traveller:
        sign_in_page(phone, patient.email)
        traveller.shift(timedelta(minutes=3))
        sign_in_page(laptop, patient.email)
        traveller.shift(timedelta(minutes=4))
        sign_in_page(here, patient.email)
        html = here.get("/portal/security").content.decode()
    devices = section(html, "devices-heading")
    items = re.findall(r"<li>(.*?)</li>", devices, flags=re.S)
    assert len(items) == 3
    by_name = {text_of(re.sub(r"</strong>.*", "", i, flags=re.S)): i for i in items}
    assert set(by_name) == {"Mobile Safari on iOS", "Chrome on Linux", "Firefox on Windows"}
    expected = {
        "Mobile Safari on iOS": ("10.1.2.3", START, "10 Mar 2026, 12:00 UTC"),
        "Chrome on Linux": ("192.0.2.44", START + timedelta(minutes=3), "10 Mar 2026, 12:03 UTC"),
    }
    for name, (ip, when, shown) in expected.items():
        item = by_name[name]
        assert "This device" not in item
        assert f"IP address {ip}" in text_of(item), item
        stamp = re.search(r'<time[^>]*datetime="([^"]+)"[^>]*>(.*?)</time>', item, re.S)
        assert stamp, item
        assert datetime.fromisoformat(stamp.group(1)) == when
        assert text_of(stamp.group(2)) == shown
        assert "last active" in text_of(item)
    assert "This device" in by_name["Firefox on Windows"]
