"""The throttle's hard stop after 100 failed codes, one audit event per wait window, and
purging stale rows (issue 12 items 2 and 10)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from carekey.accounts import throttle
from carekey.accounts.models import ThrottleState
from carekey.audit.models import SecurityEvent
from carekey.mfa.services import reset_mfa
from tests.conftest import PASSWORD, ApiClient
from tests.mfa_helpers import code_now, enroll_and_verify, wrong_code

pytestmark = pytest.mark.django_db


def _one_failure_from_the_stop(user_id: int) -> None:
    """99 consecutive failures already counted, the last wait over."""
    ThrottleState.objects.update_or_create(
        key=throttle.key_for_user(user_id),
        defaults={"failures": throttle.CODE_HARD_STOP - 1, "blocked_until": None},
    )


def test_the_hundredth_failed_code_turns_codes_off_until_a_recovery_code(patient) -> None:
    api = ApiClient()
    api.sign_in(patient.email)
    enrolled = enroll_and_verify(api)
    _one_failure_from_the_stop(patient.pk)
    mail.outbox.clear()
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        bad = wrong_code(enrolled.secret)
        assert api.post("/session/reauthenticate", {"code": bad}).status_code == 422
        assert [m.subject for m in mail.outbox] == [
            "Codes from your authenticator app were turned off"
        ]
        traveller.shift(timedelta(minutes=16))  # the longest wait is over
        right = api.post("/session/reauthenticate", {"code": code_now(enrolled.secret)})
        assert right.status_code == 429
        assert "turned off" in right.json()["error"]["message"]
        spare = api.post("/session/reauthenticate", {"recovery_code": enrolled.recovery_codes[0]})
        assert spare.status_code == 200, spare.content
        traveller.shift(timedelta(seconds=30))
        again = api.post("/session/reauthenticate", {"code": code_now(enrolled.secret)})
    assert again.status_code == 200


def test_a_staff_reset_lifts_the_hard_stop(patient, staff) -> None:
    _one_failure_from_the_stop(patient.pk)
    ThrottleState.objects.filter(key=throttle.key_for_user(patient.pk)).update(failures=100)
    reset_mfa(patient, "Lost phone, identity checked by video call", staff=staff)
    assert not ThrottleState.objects.filter(key=throttle.key_for_user(patient.pk)).exists()


def test_refused_sign_ins_write_one_event_per_wait_window_with_a_count(patient) -> None:
    attacker = ApiClient(REMOTE_ADDR="203.0.113.5")
    body = {"email": patient.email, "password": "not-the-password"}
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        for _ in range(5):
            attacker.post("/session", body)
        for _ in range(40):
            assert attacker.post("/session", body).status_code == 429
        traveller.shift(timedelta(seconds=31))
        assert attacker.post("/session", body).status_code == 401  # the one check per wait
        for _ in range(3):
            attacker.post("/session", body)
    refused = SecurityEvent.objects.filter(
        user=patient, type="signin.failed", detail__reason="throttled"
    ).order_by("id")
    assert [event.detail["attempts_refused"] for event in refused] == [40, 3]
    checked = SecurityEvent.objects.filter(
        user=patient, type="signin.failed", detail__reason="invalid_credentials"
    )
    assert checked.count() == 6


def test_refused_codes_write_one_event_per_window(patient) -> None:
    api = ApiClient()
    api.sign_in(patient.email)
    enrolled = enroll_and_verify(api)
    bad = wrong_code(enrolled.secret)
    with time_machine.travel(timezone.now(), tick=False):
        for _ in range(5):
            api.post("/session/reauthenticate", {"code": bad})
        for _ in range(25):
            assert api.post("/session/reauthenticate", {"code": bad}).status_code == 429
    events = SecurityEvent.objects.filter(user=patient, type="mfa.throttled")
    assert [e.detail["attempts_refused"] for e in events] == [25]


def test_purge_removes_stale_throttle_rows_but_keeps_a_hard_stop(patient) -> None:
    old = timezone.now() - timedelta(days=2)
    for key, failures in [
        ("email:gone@example.org", 3),
        ("ip:203.0.113.5", 12),
        (throttle.key_for_password(patient.pk), 2),
        (throttle.key_for_user(patient.pk), 100),
    ]:
        ThrottleState.objects.create(key=key, failures=failures, updated_at=old)
    ThrottleState.objects.create(key="ip:198.51.100.1", failures=4)  # recent: kept
    call_command("purge", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert sorted(ThrottleState.objects.values_list("key", flat=True)) == [
        "ip:198.51.100.1",
        throttle.key_for_user(patient.pk),
    ]


def test_a_right_password_still_resets_only_its_own_count(patient) -> None:
    api = ApiClient()
    api.post("/session", {"email": patient.email, "password": "nope-nope-nope"})
    api.sign_in(patient.email, PASSWORD)
    assert not ThrottleState.objects.filter(failures__gt=0).exclude(key__startswith="ip:").exists()
