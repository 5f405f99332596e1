"""Organisation policy (require MFA, lock limits) and the notification emails."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.core import mail
from django.core.cache import cache
from django.test import Client, RequestFactory

from carekey import notify
from carekey.policy.models import SecurityPolicy
from tests.integration.test_api_session import assert_error
from tests.mfa_helpers import enroll_and_verify

pytestmark = pytest.mark.django_db


@pytest.fixture
def policy() -> Iterator[SecurityPolicy]:
    cache.clear()
    row = SecurityPolicy.objects.create(pk=1)
    yield row
    cache.clear()


def test_required_mfa_confines_an_unenrolled_patient_to_the_security_page(
    policy, signed_in_page: Client
) -> None:
    policy.require_mfa = True
    policy.save()
    home = signed_in_page.get("/portal/")
    assert home["Location"] == "/portal/security?next=%2Fportal%2F"
    page = signed_in_page.get("/portal/security")
    assert page.status_code == 200
    assert "Your organisation requires two-step verification" in page.content.decode()
    assert signed_in_page.post("/portal/security/factors").status_code == 302


def test_required_mfa_in_the_api_until_enrollment(policy, signed_in_api) -> None:
    policy.require_mfa = True
    policy.save()
    for path in ("/app-lock", "/sessions", "/security-events"):
        assert_error(signed_in_api.get(path), 403, "mfa_enrollment_required")
    assert signed_in_api.get("/mfa/factors").status_code == 200
    assert signed_in_api.get("/session").status_code == 200
    enroll_and_verify(signed_in_api)
    assert signed_in_api.get("/app-lock").status_code == 200
    assert signed_in_api.client.get("/portal/").status_code == 200


def test_policy_maximum_rejects_a_longer_lock_with_a_clear_message(policy, signed_in_api) -> None:
    policy.max_app_lock_minutes = 10
    policy.save()
    response = signed_in_api.put(
        "/app-lock", {"enabled": True, "timeout_minutes": 15, "unlock_method": "password"}
    )
    assert_error(response, 422, "validation_error")
    assert "at most 10 minutes" in response.json()["error"]["message"]
    ok = signed_in_api.put(
        "/app-lock", {"enabled": True, "timeout_minutes": 10, "unlock_method": "password"}
    )
    assert ok.status_code == 200
    html = signed_in_api.client.get("/portal/security").content.decode()
    assert '<option value="15"' not in html and '<option value="10" selected' in html


def test_required_app_lock_is_on_and_has_no_off_switch(policy, signed_in_api) -> None:
    policy.require_app_lock = True
    policy.save()
    assert signed_in_api.get("/app-lock").json()["enabled"] is True
    off = signed_in_api.put(
        "/app-lock", {"enabled": False, "timeout_minutes": 5, "unlock_method": "password"}
    )
    assert_error(off, 422, "validation_error")
    html = signed_in_api.client.get("/portal/security").content.decode()
    assert "Lock the portal when I&#x27;m away" not in html
    assert "requires app lock" in html and ">Lock now</button>" in html


KINDS: dict[str, dict[str, Any]] = {
    "factor_added": {"factor_name": "Phone"},
    "factor_removed": {"factor_name": "Phone", "mfa_on": False},
    "recovery_codes_generated": {},
    "recovery_code_used": {"remaining": 7},
    "mfa_reset": {"reason": "Lost phone"},
}


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_each_notification_renders_text_and_html_without_secrets(patient, kind: str) -> None:
    request = RequestFactory().get(
        "/", HTTP_USER_AGENT="Mozilla/5.0 (X11; Linux x86_64) Firefox/131.0"
    )
    notify.send(kind, patient, request, **KINDS[kind])
    message: Any = mail.outbox[-1]
    assert message.to == [patient.email]
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    for body in (str(message.body), str(html)):
        assert "When:" in body and "Firefox on Linux" in body
        assert "If it was not you" in body
        assert not re.search(r"\b\d{6}\b", body)  # no code
        assert not re.search(r"[A-Z2-7]{32}", body)  # no secret
        assert not re.search(r"[A-Z2-9]{4}-[A-Z2-9]{4}-", body)  # no recovery code
    assert "<html" in html and "<html" not in message.body


def test_mail_of_a_real_enrollment_holds_no_secret(signed_in_api) -> None:
    enrolled = enroll_and_verify(signed_in_api)
    text = " ".join(str(m.message()) for m in mail.outbox)
    assert enrolled.secret not in text
    assert not any(code in text for code in enrolled.recovery_codes)
