"""More app lock and security-page rules (issue 5): the idle limit, signing out while
locked, the activity list's limit and device column, the devices list and the wording of
every app-lock refusal (CONTRACT §2-4)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from carekey.accounts.models import PortalSession, User
from carekey.applock.models import AppLockPreference
from carekey.audit.models import SecurityEvent
from tests.conftest import PASSWORD, ApiClient
from tests.integration.test_api_session import assert_error

pytestmark = pytest.mark.django_db
FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:131.0) Gecko/20100101 Firefox/131.0"
SAFARI = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)
CHROME_LINUX = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/130.0.0.0 Safari/537.36"
)
START = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def turn_on(api: ApiClient, minutes: int = 5, method: str = "password") -> None:
    body = {"enabled": True, "timeout_minutes": minutes, "unlock_method": method}
    response = api.put("/app-lock", body)
    assert response.status_code == 200, response.content


def section(html: str, heading_id: str) -> str:
    """The HTML of the <section> labelled by the given heading id."""
    match = re.search(rf'<section aria-labelledby="{heading_id}">(.*?)</section>', html, flags=re.S)
    assert match, f"no section labelled by {heading_id}"
    return match.group(1)


def text_of(fragment: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", fragment)).strip()


def sign_in_page(client: Client, email: str) -> None:
    response = client.post("/portal/signin", {"email": email, "password": PASSWORD})
    assert response.status_code == 302, response.content


# 1. The lock delay must be shorter than the idle sign-out.


def test_lock_delay_equal_to_the_idle_sign_out_is_refused_clearly(
    signed_in_api: ApiClient, patient: User, settings: Any
) -> None:
    settings.IDLE_TIMEOUT_MINUTES = 30
    turn_on(signed_in_api, 10)
    response = signed_in_api.put(
        "/app-lock", {"enabled": True, "timeout_minutes": 30, "unlock_method": "password"}
    )
    assert_error(response, 422, "validation_error")
    message = response.json()["error"]["message"]
    assert "idle sign-out" in message and "30" in message and "shorter" in message
    assert message[0].isupper() and message.endswith(".")
    assert signed_in_api.get("/app-lock").json() == {
        "enabled": True,
        "timeout_minutes": 10,
        "unlock_method": "password",
    }
    row = AppLockPreference.objects.get(user=patient)
    assert (row.enabled, row.timeout_minutes) == (True, 10)


def test_security_page_does_not_offer_the_idle_sign_out_minutes(
    signed_in_page: Client, patient: User, settings: Any
) -> None:
    settings.IDLE_TIMEOUT_MINUTES = 30
    html = signed_in_page.get("/portal/security").content.decode()
    lock = section(html, "app-lock-heading")
    offered = re.findall(r'<option value="(\d+)"', lock)
    assert offered == ["1", "2", "5", "10", "15"]
    refused = signed_in_page.post(
        "/portal/security/app-lock",
        {"enabled": "on", "timeout_minutes": "30", "unlock_method": "password"},
    )
    assert refused.status_code == 400
    assert not AppLockPreference.objects.filter(user=patient, timeout_minutes=30).exists()


# 2. A locked session can still sign out.


def test_a_locked_session_can_sign_out_through_the_api(
    signed_in_api: ApiClient, patient: User
) -> None:
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        turn_on(signed_in_api, 1)
        traveller.shift(timedelta(minutes=2))
        assert_error(signed_in_api.get("/mfa/factors"), 423, "session_locked")
        assert signed_in_api.get("/session").json()["locked"] is True
        response = signed_in_api.delete("/session")
        assert response.status_code == 204, response.content
        assert_error(signed_in_api.get("/session"), 401, "not_authenticated")
        assert_error(signed_in_api.get("/mfa/factors"), 401, "not_authenticated")
    assert not PortalSession.objects.filter(user=patient).exists()


# 3. "Recent security activity": the newest 20, newest first, with the device.


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


# 4. "Signed-in devices": each other device's IP address and last-active time.


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


# 5. Every 422 from PUT /app-lock words the problem as a sentence for a person.

GOOD = {"enabled": True, "timeout_minutes": 5, "unlock_method": "password"}
BAD_BODIES: list[Any] = [
    pytest.param({**GOOD, "timeout_minutes": 3}, id="minutes-3"),
    pytest.param({**GOOD, "timeout_minutes": 60}, id="minutes-60"),
    pytest.param({**GOOD, "timeout_minutes": 0}, id="minutes-0"),
    pytest.param({**GOOD, "timeout_minutes": -5}, id="minutes-negative"),
    pytest.param({**GOOD, "timeout_minutes": 10**30}, id="minutes-huge"),
    pytest.param({**GOOD, "timeout_minutes": "5"}, id="minutes-string"),
    pytest.param({**GOOD, "timeout_minutes": 5.5}, id="minutes-fraction"),
    pytest.param({**GOOD, "timeout_minutes": None}, id="minutes-null"),
    pytest.param({**GOOD, "timeout_minutes": [5]}, id="minutes-list"),
    pytest.param({**GOOD, "enabled": "yes"}, id="enabled-string"),
    pytest.param({**GOOD, "enabled": 1}, id="enabled-number"),
    pytest.param({**GOOD, "enabled": None}, id="enabled-null"),
    pytest.param({**GOOD, "unlock_method": "fingerprint"}, id="method-unknown"),
    pytest.param({**GOOD, "unlock_method": "code"}, id="method-code-without-factor"),
    pytest.param({**GOOD, "unlock_method": 7}, id="method-number"),
    pytest.param({**GOOD, "unlock_method": "p" * 50}, id="method-too-long"),
    pytest.param({**GOOD, "unlock_method": ""}, id="method-empty"),
    pytest.param({**GOOD, "extra": 1}, id="extra-field"),
    pytest.param({"enabled": True, "timeout_minutes": 5}, id="missing-method"),
    pytest.param({"timeout_minutes": 5, "unlock_method": "password"}, id="missing-enabled"),
    pytest.param({}, id="empty-object"),
    pytest.param([], id="empty-array"),
    pytest.param([GOOD], id="array-of-object"),
    pytest.param("password", id="bare-word"),
    pytest.param(42, id="number"),
    pytest.param(None, id="no-body"),
]
PYTHON_TALK = (
    "Input should",
    "Extra inputs",
    "String should",
    "Field required",
    "Value error",
    "pydantic",
    "input_value",
    "type=",
    "{'",
    "[{",
    "Traceback",
    "NoneType",
)


def person_sentence_problems(message: object) -> list[str]:
    problems = []
    if not isinstance(message, str) or not message.strip():
        return ["no message"]
    if not message.endswith("."):
        problems.append("does not end with a period")
    if not message[0].isupper():
        problems.append("does not start with a capital letter")
    problems += [f"contains {word!r}" for word in PYTHON_TALK if word in message]
    return problems


@pytest.mark.parametrize("body", BAD_BODIES)
def test_every_refused_app_lock_body_gets_a_sentence_for_a_person(
    signed_in_api: ApiClient, body: Any
) -> None:
    turn_on(signed_in_api, 10)
    response = signed_in_api.put("/app-lock", body)
    assert response.status_code == 422, response.content
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert not person_sentence_problems(error["message"]), (
        error["message"],
        person_sentence_problems(error["message"]),
    )
    assert signed_in_api.get("/app-lock").json()["timeout_minutes"] == 10


def test_a_body_that_is_not_json_gets_a_sentence_too(signed_in_api: ApiClient) -> None:
    response = signed_in_api.client.put(
        "/api/v1/app-lock",
        "enabled=true&timeout_minutes=5",
        content_type="application/json",
        headers={"X-CSRFToken": signed_in_api.csrf},
    )
    assert response.status_code == 422, response.content
    message = response.json()["error"]["message"]
    assert not person_sentence_problems(message), message
