"""Reauthentication, removal, recovery codes and the aftermath of a security change."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from carekey.accounts.models import PortalSession
from carekey.accounts.session_store import stored_key
from carekey.audit.models import SecurityEvent
from carekey.mfa.models import Factor, RecoveryCode
from tests.conftest import ApiClient
from tests.integration.test_api_session import assert_error
from tests.mfa_helpers import code_now, enroll, enroll_and_verify, wrong_code

pytestmark = pytest.mark.django_db


def session_key(api: ApiClient) -> str:
    return api.client.cookies["carekey_session"].value


def test_sensitive_calls_need_a_fresh_code(signed_in_api) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        enrolled = enroll_and_verify(signed_in_api)
        traveller.shift(timedelta(minutes=5, seconds=1))
        assert_error(
            signed_in_api.delete(f"/mfa/factors/{enrolled.factor_id}"),
            403,
            "reauthentication_required",
        )
        assert_error(
            signed_in_api.post("/mfa/factors", {"factor_type": "totp"}),
            403,
            "reauthentication_required",
        )
        assert_error(signed_in_api.post("/mfa/recovery-codes"), 403, "reauthentication_required")
        assert Factor.objects.count() == 1


def test_reauthenticate_opens_five_minutes(signed_in_api) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        enrolled = enroll_and_verify(signed_in_api)
        traveller.shift(timedelta(minutes=6))
        response = signed_in_api.post(
            "/session/reauthenticate", {"code": code_now(enrolled.secret)}
        )
        assert response.status_code == 200
        assert response.json()["reauthenticated_until"] is not None
        traveller.shift(timedelta(minutes=4))
        assert signed_in_api.post("/mfa/recovery-codes").status_code == 201
        traveller.shift(timedelta(minutes=2))
        assert signed_in_api.post("/mfa/recovery-codes").status_code == 403


def test_enrollment_code_is_refused_by_reauthentication_in_the_same_window(signed_in_api):
    with time_machine.travel(timezone.now(), tick=False):
        factor_id, secret = enroll(signed_in_api)
        code = code_now(secret)
        assert (
            signed_in_api.post(f"/mfa/factors/{factor_id}/verify", {"code": code}).status_code
            == 200
        )
        replay = signed_in_api.post("/session/reauthenticate", {"code": code})
    assert_error(replay, 422, "mfa_verification_failed")
    from carekey.audit.models import SecurityEvent

    assert SecurityEvent.objects.filter(type="mfa.code.replayed").count() == 1


def test_next_steps_code_works_after_the_enrollment_code(signed_in_api) -> None:
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        enrolled = enroll_and_verify(signed_in_api)
        traveller.shift(timedelta(seconds=30))
        response = signed_in_api.post(
            "/session/reauthenticate", {"code": code_now(enrolled.secret)}
        )
    assert response.status_code == 200


def test_recovery_code_reauthenticates_once(signed_in_api) -> None:
    enrolled = enroll_and_verify(signed_in_api)
    code = enrolled.recovery_codes[0].lower().replace("-", " ")
    assert signed_in_api.post("/session/reauthenticate", {"recovery_code": code}).status_code == 200
    again = signed_in_api.post("/session/reauthenticate", {"recovery_code": code})
    assert_error(again, 422, "mfa_verification_failed")
    assert signed_in_api.get("/mfa/recovery-codes").json() == {"remaining": 9}


def test_new_recovery_codes_void_the_old(signed_in_api) -> None:
    enrolled = enroll_and_verify(signed_in_api)
    fresh = signed_in_api.post("/mfa/recovery-codes").json()["recovery_codes"]
    assert len(fresh) == 10 and not set(fresh) & set(enrolled.recovery_codes)
    old = signed_in_api.post(
        "/session/reauthenticate", {"recovery_code": enrolled.recovery_codes[0]}
    )
    assert_error(old, 422, "mfa_verification_failed")
    assert (
        signed_in_api.post("/session/reauthenticate", {"recovery_code": fresh[0]}).status_code
        == 200
    )


def test_removing_the_last_verified_factor_voids_recovery_codes(signed_in_api) -> None:
    enrolled = enroll_and_verify(signed_in_api)
    assert signed_in_api.delete(f"/mfa/factors/{enrolled.factor_id}").status_code == 204
    assert not Factor.objects.exists()
    assert not RecoveryCode.objects.exists()
    assert signed_in_api.get("/mfa/recovery-codes").json() == {"remaining": 0}


def test_removal_is_audited_with_the_factor_id(signed_in_api) -> None:
    first = enroll_and_verify(signed_in_api)
    enroll_and_verify(signed_in_api, "Tablet")
    assert signed_in_api.delete(f"/mfa/factors/{first.factor_id}").status_code == 204
    removed = SecurityEvent.objects.get(type="mfa.factor.removed")
    assert removed.detail["factor_id"] == str(first.factor_id)
    assert removed.user is not None and removed.user.email == "ana@example.org"


def test_removing_one_of_two_keeps_recovery_codes(signed_in_api) -> None:
    first = enroll_and_verify(signed_in_api)
    enroll_and_verify(signed_in_api, "Tablet")
    assert signed_in_api.delete(f"/mfa/factors/{first.factor_id}").status_code == 204
    assert RecoveryCode.objects.count() == 10


@pytest.mark.parametrize("action", ["verify", "remove", "recovery_codes"])
def test_security_change_rotates_session_signs_out_others_and_emails(patient, action: str) -> None:
    api, other = ApiClient(), ApiClient()
    api.sign_in(patient.email)
    other.sign_in(patient.email)
    if action == "verify":
        factor_id, secret = enroll(api)
        before = session_key(api)
        response = api.post(f"/mfa/factors/{factor_id}/verify", {"code": code_now(secret)})
    else:
        enrolled = enroll_and_verify(api)
        other = ApiClient()
        other.sign_in(patient.email)
        mail.outbox.clear()
        before = session_key(api)
        response = (
            api.delete(f"/mfa/factors/{enrolled.factor_id}")
            if action == "remove"
            else api.post("/mfa/recovery-codes")
        )
    assert response.status_code in (200, 201, 204)
    assert session_key(api) != before
    assert not PortalSession.objects.filter(session_key=stored_key(before)).exists()
    assert api.get("/session").status_code == 200
    assert other.get("/session").status_code == 401
    assert len(mail.outbox) == 1


def test_failures_are_throttled_across_codes_recovery_codes_and_unlocks(patient) -> None:
    """Codes, recovery codes and code checks of every kind share one count; wrong
    passwords from elsewhere are not in it (issue 12: they could lock a patient out)."""
    api = ApiClient()
    with time_machine.travel(timezone.now(), tick=False):
        api.sign_in(patient.email)
        enrolled = enroll_and_verify(api)
        bad = wrong_code(enrolled.secret)
        assert api.post("/session/reauthenticate", {"code": bad}).status_code == 422
        assert (
            api.post(
                "/session/reauthenticate", {"recovery_code": "AAAA-BBBB-CCCC-DDDD"}
            ).status_code
            == 422
        )
        stranger = ApiClient()
        for _ in range(2):
            stranger.post("/session", {"email": patient.email, "password": "wrong-password"})
        for _ in range(2):
            assert api.post("/session/reauthenticate", {"code": bad}).status_code == 422
        factor_id, secret = enroll(api, "Second")
        assert api.post(f"/mfa/factors/{factor_id}/verify", {"code": bad}).status_code == 422
        right = api.post(f"/mfa/factors/{factor_id}/verify", {"code": code_now(secret)})
        assert right.status_code == 429
        assert right.json()["error"]["code"] == "too_many_attempts"
        assert right["Retry-After"] == "30"
        assert Factor.objects.get(pk=factor_id).status == "unverified"


def test_code_throttle_waits_double_and_reset_after_success(signed_in_api) -> None:
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        enrolled = enroll_and_verify(signed_in_api)
        bad = wrong_code(enrolled.secret)
        for _ in range(5):
            signed_in_api.post("/session/reauthenticate", {"code": bad})
        assert signed_in_api.post("/session/reauthenticate", {"code": bad})["Retry-After"] == "30"
        traveller.shift(timedelta(seconds=31))
        assert signed_in_api.post("/session/reauthenticate", {"code": bad}).status_code == 422
        assert signed_in_api.post("/session/reauthenticate", {"code": bad})["Retry-After"] == "60"
        for wait in (60, 120, 240, 480, 900, 900):
            traveller.shift(timedelta(seconds=wait + 1))
            assert signed_in_api.post("/session/reauthenticate", {"code": bad}).status_code == 422
        traveller.shift(timedelta(seconds=901))
        ok = signed_in_api.post("/session/reauthenticate", {"code": code_now(enrolled.secret)})
        assert ok.status_code == 200
        for _ in range(5):
            assert signed_in_api.post("/session/reauthenticate", {"code": bad}).status_code == 422
