"""Signing out is never refused (CONTRACT §3-5): not while the app lock holds the session,
and not while "Require MFA for all patients" confines an unenrolled patient, through the
pages or the API."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from carekey.accounts.models import PortalSession, User
from carekey.policy.models import SecurityPolicy
from tests.conftest import ApiClient
from tests.integration.test_api_session import assert_error

pytestmark = pytest.mark.django_db


@pytest.fixture
def policy() -> Iterator[SecurityPolicy]:
    cache.clear()
    row = SecurityPolicy.objects.create(pk=1)
    yield row
    cache.clear()


def turn_on(api: ApiClient, minutes: int = 5, method: str = "password") -> None:
    body = {"enabled": True, "timeout_minutes": minutes, "unlock_method": method}
    response = api.put("/app-lock", body)
    assert response.status_code == 200, response.content


# While the app lock holds the session.


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


# Under "Require MFA for all patients", without a factor.


def test_required_mfa_still_lets_an_unenrolled_patient_sign_out(
    policy: SecurityPolicy, signed_in_page: Client, patient: User
) -> None:
    policy.require_mfa = True
    policy.save()
    assert signed_in_page.get("/portal/")["Location"].startswith("/portal/security")
    ask = signed_in_page.get("/portal/signout")
    assert ask.status_code == 200 and ">Sign out</button>" in ask.content.decode()
    done = signed_in_page.post("/portal/signout")
    assert done.status_code == 302 and done["Location"] == "/portal/signin"
    assert not PortalSession.objects.filter(user=patient).exists()
    assert signed_in_page.get("/portal/security")["Location"].startswith("/portal/signin?next=")
    assert signed_in_page.get("/api/v1/session").status_code == 401


def test_required_mfa_still_lets_an_unenrolled_patient_sign_out_of_the_api(
    policy: SecurityPolicy, signed_in_api: ApiClient, patient: User
) -> None:
    policy.require_mfa = True
    policy.save()
    assert_error(signed_in_api.get("/sessions"), 403, "mfa_enrollment_required")
    assert signed_in_api.delete("/session").status_code == 204
    assert_error(signed_in_api.get("/session"), 401, "not_authenticated")
    assert not PortalSession.objects.filter(user=patient).exists()
