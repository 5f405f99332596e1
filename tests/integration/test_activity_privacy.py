"""The patient's activity view of a support-desk reset (issue 12.11): it says "Reset by the
support desk", and leaves out who on the staff did it, their reason, address and browser;
the audit trail keeps all of them for staff.
"""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from carekey.accounts.models import User
from carekey.audit.models import SecurityEvent
from carekey.mfa import services
from tests.conftest import PASSWORD, ApiClient

pytestmark = pytest.mark.django_db

REASON = "Caller confirmed date of birth 1961-04-02 and the last visit"
STAFF_IP = "198.51.100.77"
STAFF_AGENT = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


def reset_by(staff: User, patient: User) -> None:
    request = RequestFactory().post("/admin/", REMOTE_ADDR=STAFF_IP, HTTP_USER_AGENT=STAFF_AGENT)
    services.reset_mfa(patient, REASON, staff=staff, request=request)


def test_the_api_shows_the_reset_without_staff_facts(patient: User, staff: User) -> None:
    reset_by(staff, patient)
    api = ApiClient()
    api.sign_in(patient.email)
    events = api.get("/security-events").json()["events"]
    reset = next(e for e in events if e["type"] == "staff.mfa_reset")
    assert reset["detail"] == {"factors_removed": 0, "app_tokens_revoked": 0}
    assert reset["ip"] is None and reset["user_agent"] == ""
    body = api.get("/security-events").content.decode()
    for secret in (staff.email, REASON, STAFF_IP, "staff_id"):
        assert secret not in body


def test_the_page_says_support_desk_and_nothing_more(patient: User, staff: User) -> None:
    reset_by(staff, patient)
    api = ApiClient()
    api.sign_in(patient.email)
    page = api.client.get("/portal/security").content.decode()
    assert "Reset by the support desk" in page
    assert "Support desk" in page
    for secret in (staff.email, REASON, STAFF_IP, "Firefox on Linux"):
        assert secret not in page


def test_the_audit_trail_keeps_who_why_and_where(patient: User, staff: User) -> None:
    reset_by(staff, patient)
    event = SecurityEvent.objects.get(type="staff.mfa_reset")
    assert event.detail["staff_email"] == staff.email
    assert event.detail["reason"] == REASON
    assert event.ip == STAFF_IP and event.user_agent == STAFF_AGENT


def test_the_patients_own_events_keep_their_address(patient: User) -> None:
    api = ApiClient(REMOTE_ADDR="192.0.2.44")
    api.sign_in(patient.email, PASSWORD)
    events = api.get("/security-events").json()["events"]
    assert events[0]["type"] == "signin.succeeded"
    assert events[0]["ip"] == "192.0.2.44"
