"""Sign-in throttling per account (CONTRACT §4): five free failures, then doubling waits."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from carekey.accounts.models import ThrottleState
from carekey.accounts.throttle import wait_after
from carekey.audit.models import SecurityEvent
from tests.conftest import PASSWORD, ApiClient

pytestmark = pytest.mark.django_db


def fail(api: ApiClient, email: str, times: int) -> list[int]:
    return [
        api.post("/session", {"email": email, "password": "wrong-password"}).status_code
        for _ in range(times)
    ]


def test_waits_double_from_30_seconds_to_15_minutes() -> None:
    assert [wait_after(n) for n in range(4, 12)] == [0, 30, 60, 120, 240, 480, 900, 900]
    assert wait_after(10_000) == 900


def test_sixth_attempt_is_refused_even_with_the_right_password(api: ApiClient, patient) -> None:
    with time_machine.travel(timezone.now(), tick=False):
        assert fail(api, patient.email, 5) == [401] * 5
        response = api.post("/session", {"email": patient.email, "password": PASSWORD})
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "too_many_attempts"
    assert response["Retry-After"] == "30"


def test_page_shows_the_generic_message_when_throttled(patient) -> None:
    page = Client()
    with time_machine.travel(timezone.now(), tick=False):
        for _ in range(5):
            page.post("/portal/signin", {"email": patient.email, "password": "wrong-password"})
        response = page.post("/portal/signin", {"email": patient.email, "password": PASSWORD})
    assert response.status_code == 429
    assert "Email or password is incorrect." in response.content.decode()
    assert page.get("/portal/").status_code == 302


def test_another_account_is_unaffected(api: ApiClient, patient, make_patient) -> None:
    other = make_patient("other@example.org")
    with time_machine.travel(timezone.now(), tick=False):
        fail(api, patient.email, 6)
        assert api.post("/session", {"email": other.email, "password": PASSWORD}).status_code == 200


def test_wait_doubles_and_success_resets(api: ApiClient, patient) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        fail(api, patient.email, 5)
        traveller.shift(timedelta(seconds=29))
        assert fail(api, patient.email, 1) == [429]
        traveller.shift(timedelta(seconds=2))
        assert fail(api, patient.email, 1) == [401]  # checked, 6th failure: now 60 s
        response = api.post("/session", {"email": patient.email, "password": PASSWORD})
        assert response.status_code == 429 and response["Retry-After"] == "60"
        traveller.shift(timedelta(seconds=61))
        api.sign_in(patient.email)
        assert ThrottleState.objects.get(key=f"password:{patient.pk}").failures == 0
        assert fail(api, patient.email, 5) == [401] * 5


def test_refused_attempts_do_not_extend_the_wait(api: ApiClient, patient) -> None:
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        fail(api, patient.email, 5)
        fail(api, patient.email, 20)
        traveller.shift(timedelta(seconds=31))
        api.sign_in(patient.email)


def test_unknown_emails_are_throttled_the_same_way(api: ApiClient) -> None:
    with time_machine.travel(timezone.now(), tick=False):
        assert fail(api, "ghost@example.org", 6) == [401] * 5 + [429]


def test_throttled_attempts_are_audited(api: ApiClient, patient) -> None:
    with time_machine.travel(timezone.now(), tick=False):
        fail(api, patient.email, 6)
    reasons = list(
        SecurityEvent.objects.filter(type="signin.failed", user=patient).values_list(
            "detail__reason", flat=True
        )
    )
    assert sorted(reasons) == ["invalid_credentials"] * 5 + ["throttled"]


def test_the_count_is_per_account_not_per_client(patient) -> None:
    with time_machine.travel(timezone.now(), tick=False):
        for n in range(5):
            ApiClient(REMOTE_ADDR=f"10.0.0.{n + 1}").post(
                "/session", {"email": patient.email, "password": "wrong-password"}
            )
        response = ApiClient(REMOTE_ADDR="10.9.9.9").post(
            "/session", {"email": patient.email, "password": PASSWORD}
        )
    assert response.status_code == 429
