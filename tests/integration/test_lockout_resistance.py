"""Failures from elsewhere never keep a patient out (CONTRACT §7, issue 12 item 3).

OWASP device cookies: a browser that signed in before keeps a count of its own; wrong
passwords never touch the code count; one address is limited across accounts.
"""

from __future__ import annotations

import pytest
import time_machine
from django.utils import timezone

from carekey.accounts import device_cookies, throttle
from carekey.accounts.models import ThrottleState
from tests.conftest import PASSWORD, ApiClient
from tests.mfa_helpers import code_now, enroll_and_verify

pytestmark = pytest.mark.django_db


def wrong_passwords(client: ApiClient, email: str, times: int) -> list[int]:
    return [
        client.post("/session", {"email": email, "password": "not-the-password"}).status_code
        for _ in range(times)
    ]


def test_a_browser_that_signed_in_before_gets_in_while_the_account_is_throttled(patient) -> None:
    own = ApiClient(REMOTE_ADDR="198.51.100.7")
    own.sign_in(patient.email)
    assert device_cookies.COOKIE_NAME in own.client.cookies
    own.delete("/session")
    attacker = ApiClient(REMOTE_ADDR="203.0.113.5")
    with time_machine.travel(timezone.now(), tick=False):
        assert wrong_passwords(attacker, patient.email, 7) == [401] * 5 + [429] * 2
        assert (
            own.post("/session", {"email": patient.email, "password": PASSWORD}).status_code == 200
        )


def test_the_throttled_client_stays_throttled_even_with_the_right_password(patient) -> None:
    own = ApiClient(REMOTE_ADDR="198.51.100.7")
    own.sign_in(patient.email)
    attacker = ApiClient(REMOTE_ADDR="203.0.113.5")
    with time_machine.travel(timezone.now(), tick=False):
        wrong_passwords(attacker, patient.email, 5)
        own.delete("/session")
        assert (
            own.post("/session", {"email": patient.email, "password": PASSWORD}).status_code == 200
        )
        refused = attacker.post("/session", {"email": patient.email, "password": PASSWORD})
    assert refused.status_code == 429


def test_a_device_cookies_own_failures_are_counted_for_it_alone(patient) -> None:
    own = ApiClient(REMOTE_ADDR="198.51.100.7")
    own.sign_in(patient.email)
    own.delete("/session")
    with time_machine.travel(timezone.now(), tick=False):
        assert wrong_passwords(own, patient.email, 6) == [401] * 5 + [429]
        newcomer = ApiClient(REMOTE_ADDR="192.0.2.44")
        assert (
            newcomer.post("/session", {"email": patient.email, "password": PASSWORD}).status_code
            == 200
        )
    assert (
        not ThrottleState.objects.filter(key=throttle.key_for_password(patient.pk))
        .exclude(failures=0)
        .exists()
    )


def test_a_tampered_or_foreign_device_cookie_counts_as_an_unknown_browser(
    patient, make_patient
) -> None:
    other = make_patient("other@example.org")
    holder = ApiClient(REMOTE_ADDR="198.51.100.7")
    holder.sign_in(other.email)  # a valid cookie, but for another account
    holder.delete("/session")
    forged = ApiClient(REMOTE_ADDR="198.51.100.8")
    forged.client.cookies[device_cookies.COOKIE_NAME] = "W1sxLCJ4Il1d:forged:signature"
    attacker = ApiClient(REMOTE_ADDR="203.0.113.5")
    with time_machine.travel(timezone.now(), tick=False):
        wrong_passwords(attacker, patient.email, 5)
        for client in (holder, forged):
            reply = client.post("/session", {"email": patient.email, "password": PASSWORD})
            assert reply.status_code == 429


def test_the_patients_own_session_still_enters_codes_after_20_wrong_passwords(patient) -> None:
    own = ApiClient(REMOTE_ADDR="198.51.100.7")
    own.sign_in(patient.email)
    enrolled = enroll_and_verify(own)
    own.delete("/session")
    own.sign_in(patient.email)  # password accepted; a code is owed
    attacker = ApiClient(REMOTE_ADDR="203.0.113.5")
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        wrong_passwords(attacker, patient.email, 20)
        traveller.shift(30)
        reply = own.post("/session/verify", {"code": code_now(enrolled.secret)})
    assert reply.status_code == 200, reply.content
    assert reply.json()["aal"] == "aal2"
    assert not ThrottleState.objects.filter(
        key=throttle.key_for_user(patient.pk), failures__gt=0
    ).exists()


def test_one_address_is_limited_across_accounts() -> None:
    client = ApiClient(REMOTE_ADDR="203.0.113.9")
    with time_machine.travel(timezone.now(), tick=False):
        statuses = [
            client.post(
                "/session", {"email": f"nobody{n}@example.org", "password": "x" * 12}
            ).status_code
            for n in range(throttle.PER_IP.free_failures + 2)
        ]
        elsewhere = ApiClient(REMOTE_ADDR="203.0.113.10")
        other_ip = elsewhere.post(
            "/session", {"email": "someone@example.org", "password": "x" * 12}
        )
    assert statuses[: throttle.PER_IP.free_failures] == [401] * throttle.PER_IP.free_failures
    assert statuses[-1] == 429
    assert other_ip.status_code == 401


def test_the_per_address_count_is_forgotten_after_an_hour_of_quiet() -> None:
    client = ApiClient(REMOTE_ADDR="203.0.113.9")
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        for n in range(throttle.PER_IP.free_failures):
            client.post("/session", {"email": f"nobody{n}@example.org", "password": "x" * 12})
        traveller.shift(3601)
        reply = client.post("/session", {"email": "late@example.org", "password": "x" * 12})
    assert reply.status_code == 401
