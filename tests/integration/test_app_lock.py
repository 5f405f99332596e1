"""App lock: preferences, the server-side lock, unlock, and the 423 rule (CONTRACT §3-4)."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from carekey.applock.models import AppLockPreference
from carekey.audit.models import SecurityEvent
from tests.conftest import PASSWORD, ApiClient
from tests.integration.test_api_session import assert_error
from tests.mfa_helpers import code_now, enroll_and_verify, wrong_code

pytestmark = pytest.mark.django_db
ALLOWED_WHILE_LOCKED = {
    ("GET", "/api/v1/session"),
    ("DELETE", "/api/v1/session"),
    ("POST", "/api/v1/session/unlock"),
    # A passkey unlocks too (CONTRACT §6): its options and its check stay open.
    ("POST", "/api/v1/session/passkey/options"),
    ("POST", "/api/v1/session/passkey"),
}


def turn_on(api: ApiClient, minutes: int = 5, method: str = "password") -> None:
    body = {"enabled": True, "timeout_minutes": minutes, "unlock_method": method}
    response = api.put("/app-lock", body)
    assert response.status_code == 200, response.content
    assert response.json() == body


def test_defaults_are_off_five_minutes_password(signed_in_api) -> None:
    expected = {"enabled": False, "timeout_minutes": 5, "unlock_method": "password"}
    assert signed_in_api.get("/app-lock").json() == expected


@pytest.mark.parametrize(
    "body",
    [
        {"enabled": True, "timeout_minutes": 3, "unlock_method": "password"},
        {"enabled": True, "timeout_minutes": 60, "unlock_method": "password"},
        {"enabled": True, "timeout_minutes": "5", "unlock_method": "password"},
        {"enabled": "yes", "timeout_minutes": 5, "unlock_method": "password"},
        {"enabled": 1, "timeout_minutes": 5, "unlock_method": "password"},
        {"enabled": True, "timeout_minutes": 5, "unlock_method": "fingerprint"},
        {"enabled": True, "timeout_minutes": 5, "unlock_method": "code"},
        {"enabled": True, "timeout_minutes": 5},
    ],
)
def test_bad_preferences_are_422_and_change_nothing(signed_in_api, body) -> None:
    turn_on(signed_in_api, 10)
    response = signed_in_api.put("/app-lock", body)
    assert_error(response, 422, "validation_error")
    assert signed_in_api.get("/app-lock").json()["timeout_minutes"] == 10


def test_saving_is_audited(signed_in_api, patient) -> None:
    turn_on(signed_in_api)
    assert SecurityEvent.objects.filter(type="app_lock.updated", user=patient).count() == 1


def test_code_method_falls_back_to_password_when_the_last_factor_goes(signed_in_api) -> None:
    enrolled = enroll_and_verify(signed_in_api)
    turn_on(signed_in_api, method="code")
    signed_in_api.delete(f"/mfa/factors/{enrolled.factor_id}")
    assert signed_in_api.get("/app-lock").json()["unlock_method"] == "password"


def test_idle_past_the_minutes_locks_pages_and_api(signed_in_api, patient) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        turn_on(signed_in_api, 5)
        for _ in range(3):
            traveller.shift(timedelta(minutes=4))
            assert signed_in_api.get("/mfa/factors").status_code == 200
        traveller.shift(timedelta(minutes=5, seconds=1))
        assert_error(signed_in_api.get("/mfa/factors"), 423, "session_locked")
        session = signed_in_api.get("/session").json()
        assert session["locked"] is True
        doc = signed_in_api.get("/openapi.json").json()
        operations = [
            (m.upper(), re.sub(r"\{\w+\}", str(uuid.uuid4()), p))
            for p, item in doc["paths"].items()
            for m in item
        ]
        assert len(operations) >= 14
        for method, path in operations:
            if (method, path) in ALLOWED_WHILE_LOCKED:
                continue
            body: dict[str, object] | None = None if method == "GET" else {}
            response = signed_in_api.send(method, path.removeprefix("/api/v1"), body)
            assert_error(response, 423, "session_locked")
    assert SecurityEvent.objects.filter(type="session.locked", user=patient).count() == 1


def test_locked_pages_redirect_to_the_lock_screen(signed_in_page: Client, patient) -> None:
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        AppLockPreference.objects.create(user=patient, enabled=True, timeout_minutes=1)
        traveller.shift(timedelta(minutes=2))
        response = signed_in_page.get("/portal/security")
        assert response["Location"] == "/portal/locked?next=%2Fportal%2Fsecurity"
        page = signed_in_page.get("/portal/locked?next=/portal/security").content.decode()
    assert "<h1" in page and "Portal locked" in page
    assert '<label for="id_password">Password</label>' in page and ">Unlock</button>" in page
    assert 'href="/portal/signout">Sign out</a>' in page
    assert "ana@example.org" not in page and "Patient" not in page
    assert "Ana" in page


def test_unlock_with_password_rotates_the_session_and_returns_to_next(
    signed_in_page: Client, patient
) -> None:
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        AppLockPreference.objects.create(user=patient, enabled=True, timeout_minutes=1)
        traveller.shift(timedelta(minutes=2))
        signed_in_page.get("/portal/")
        before = signed_in_page.cookies["carekey_session"].value
        response = signed_in_page.post(
            "/portal/locked", {"password": PASSWORD, "next": "/portal/security"}
        )
        assert response["Location"] == "/portal/security"
        assert signed_in_page.cookies["carekey_session"].value != before
        assert signed_in_page.get("/portal/security").status_code == 200
    assert SecurityEvent.objects.filter(type="session.unlocked").count() == 1


def test_unlock_with_a_code_through_the_api(signed_in_api) -> None:
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        enrolled = enroll_and_verify(signed_in_api)
        turn_on(signed_in_api, 2, method="code")
        traveller.shift(timedelta(minutes=3))
        assert signed_in_api.get("/mfa/factors").status_code == 423
        before = signed_in_api.client.cookies["carekey_session"].value
        assert_error(
            signed_in_api.post("/session/unlock", {"password": PASSWORD}),
            422,
            "mfa_verification_failed",
        )
        body = signed_in_api.post("/session/unlock", {"code": code_now(enrolled.secret)}).json()
        assert body["locked"] is False
        assert signed_in_api.client.cookies["carekey_session"].value != before
        assert signed_in_api.get("/mfa/factors").status_code == 200


def test_five_wrong_unlocks_sign_the_session_out(signed_in_api) -> None:
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        turn_on(signed_in_api, 1)
        traveller.shift(timedelta(minutes=2))
        statuses = [
            signed_in_api.post("/session/unlock", {"password": f"wrong-{n}"}).status_code
            for n in range(5)
        ]
        assert statuses == [422, 422, 422, 422, 401]
        assert_error(signed_in_api.get("/session"), 401, "not_authenticated")


def test_unlock_failures_share_the_account_throttle(patient) -> None:
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        api = ApiClient()
        api.sign_in(patient.email)
        enrolled = enroll_and_verify(api)
        turn_on(api, 1, method="code")
        for _ in range(4):
            api.post("/session/reauthenticate", {"code": wrong_code(enrolled.secret)})
        traveller.shift(timedelta(minutes=2))
        assert api.post("/session/unlock", {"code": wrong_code(enrolled.secret)}).status_code == 422
        response = api.post("/session/unlock", {"code": code_now(enrolled.secret)})
        assert_error(response, 429, "too_many_attempts")


def test_lock_now_locks_at_once(signed_in_page: Client, patient) -> None:
    AppLockPreference.objects.create(user=patient, enabled=True, timeout_minutes=5)
    html = signed_in_page.get("/portal/").content.decode()
    assert ">Lock now</button>" in html and 'data-app-lock-seconds="300"' in html
    response = signed_in_page.post("/portal/lock", {"next": "/portal/security"})
    assert response["Location"] == "/portal/locked?next=%2Fportal%2Fsecurity"  # URL-encoded
    assert signed_in_page.get("/portal/").status_code == 302


def test_security_page_shows_the_app_lock_form(signed_in_page: Client) -> None:
    html = signed_in_page.get("/portal/security").content.decode()
    assert '<h2 id="app-lock-heading">App lock</h2>' in html
    assert "Lock the portal when I&#x27;m away</label>" in html
    assert '<label for="id_timeout_minutes">Lock after</label>' in html
    assert "<legend>Unlock with</legend>" in html
    assert "Authenticator code" not in html  # offered only while a factor is verified
    assert ">Save app lock settings</button>" in html


def test_saving_from_the_page(signed_in_page: Client, patient) -> None:
    response = signed_in_page.post(
        "/portal/security/app-lock",
        {"enabled": "on", "timeout_minutes": "10", "unlock_method": "password"},
    )
    assert response.status_code == 302
    pref = AppLockPreference.objects.get(user=patient)
    assert (pref.enabled, pref.timeout_minutes, pref.unlock_method) == (True, 10, "password")
    bad = signed_in_page.post(
        "/portal/security/app-lock",
        {"enabled": "on", "timeout_minutes": "7", "unlock_method": "code"},
    )
    assert bad.status_code == 400 and "There is a problem" in bad.content.decode()
    assert AppLockPreference.objects.get(user=patient).timeout_minutes == 10
