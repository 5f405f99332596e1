"""Signed-in devices and recent security activity (CONTRACT §2-3)."""

from __future__ import annotations

import pytest
from django.test import Client

from carekey.audit.models import SecurityEvent
from tests.conftest import PASSWORD, ApiClient
from tests.integration.test_api_session import assert_error
from tests.mfa_helpers import enroll_and_verify

pytestmark = pytest.mark.django_db
FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:131.0) Gecko/20100101 Firefox/131.0"
SAFARI = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)


def test_sessions_list_marks_this_device(patient) -> None:
    here = ApiClient(HTTP_USER_AGENT=FIREFOX)
    here.sign_in(patient.email)
    phone = ApiClient(HTTP_USER_AGENT=SAFARI, REMOTE_ADDR="10.1.2.3")
    phone.sign_in(patient.email)
    rows = here.get("/sessions").json()["sessions"]
    assert len(rows) == 2
    current = [r for r in rows if r["current"]]
    assert len(current) == 1 and current[0]["user_agent"] == FIREFOX
    other = next(r for r in rows if not r["current"])
    assert other["ip"] == "10.1.2.3" and other["last_active_at"]


def test_sign_out_other_devices_ends_the_others_only(patient) -> None:
    here, there = Client(HTTP_USER_AGENT=FIREFOX), Client(HTTP_USER_AGENT=SAFARI)
    for client in (here, there):
        client.post("/portal/signin", {"email": patient.email, "password": PASSWORD})
    page = here.get("/portal/security").content.decode()
    assert "Firefox on Windows" in page and "This device" in page
    assert "Mobile Safari on iOS" in page
    assert ">Sign out other devices</button>" in page
    response = here.post("/portal/security/sessions/others")
    assert response.status_code == 302
    assert there.get("/portal/security")["Location"].startswith("/portal/signin?next=")
    assert here.get("/portal/security").status_code == 200
    event = SecurityEvent.objects.get(type="sessions.revoked")
    assert event.detail == {"count": 1}


def test_api_delete_other_sessions(patient) -> None:
    here, there = ApiClient(), ApiClient()
    here.sign_in(patient.email)
    there.sign_in(patient.email)
    assert here.delete("/sessions/others").status_code == 204
    assert_error(there.get("/session"), 401, "not_authenticated")
    assert len(here.get("/sessions").json()["sessions"]) == 1


def test_recent_activity_lists_what_just_happened_newest_first(signed_in_api) -> None:
    enrolled = enroll_and_verify(signed_in_api)
    signed_in_api.put(
        "/app-lock", {"enabled": True, "timeout_minutes": 5, "unlock_method": "password"}
    )
    events = signed_in_api.get("/security-events?limit=3").json()["events"]
    assert [e["type"] for e in events] == [
        "app_lock.updated",
        "recovery_codes.generated",
        "mfa.factor.verified",
    ]
    everything = str(signed_in_api.get("/security-events?limit=100").json())
    assert enrolled.secret not in everything
    assert not any(code in everything for code in enrolled.recovery_codes)


@pytest.mark.parametrize("limit", ["0", "101", "-1", "abc", "1e3"])
def test_event_limit_is_1_to_100(signed_in_api, limit: str) -> None:
    assert_error(signed_in_api.get(f"/security-events?limit={limit}"), 422, "validation_error")


def test_page_shows_activity_in_plain_language(signed_in_page: Client) -> None:
    html = signed_in_page.get("/portal/security").content.decode()
    assert '<h2 id="activity-heading">Recent security activity</h2>' in html
    assert "Signed in with your password" in html


def test_names_and_user_agents_are_shown_as_text(patient) -> None:
    evil = "<script>alert(1)</script>"
    client = Client(HTTP_USER_AGENT=evil)
    client.post("/portal/signin", {"email": patient.email, "password": PASSWORD})
    patient.name = "<img src=x onerror=alert(1)> Ana"
    patient.save()
    for path in ("/portal/security", "/portal/"):
        html = client.get(path).content.decode()
        assert "<script>alert(1)</script>" not in html and "<img src=x" not in html
