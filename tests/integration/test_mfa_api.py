"""/api/v1/mfa: enroll, verify, list, remove, recovery codes, with the contract's errors."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from carekey.audit.models import SecurityEvent
from carekey.mfa.models import Factor, RecoveryCode
from tests.conftest import ApiClient
from tests.integration.test_api_session import assert_error
from tests.mfa_helpers import code_now, enroll, enroll_and_verify, wrong_code

pytestmark = pytest.mark.django_db
URI = re.compile(
    r"^otpauth://totp/CareKey:ana%40example\.org\?secret=([A-Z2-7]{32})&issuer=CareKey"
    r"&algorithm=SHA1&digits=6&period=30$"
)


def test_enroll_returns_qr_secret_and_uri(signed_in_api: ApiClient) -> None:
    response = signed_in_api.post("/mfa/factors", {"factor_type": "totp"})
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "unverified" and body["friendly_name"] == "Authenticator app"
    match = URI.match(body["totp"]["uri"])
    assert match and match.group(1) == body["totp"]["secret"]
    assert body["totp"]["qr_code"].startswith("data:image/svg+xml;base64,")
    uuid.UUID(body["id"])


def test_verify_makes_the_factor_verified_with_ten_recovery_codes(signed_in_api) -> None:
    factor_id, secret = enroll(signed_in_api)
    response = signed_in_api.post(f"/mfa/factors/{factor_id}/verify", {"code": code_now(secret)})
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "verified" and body["last_used_at"] is not None
    assert len(body["recovery_codes"]) == 10
    assert all(re.fullmatch(r"[A-Z2-9]{4}(-[A-Z2-9]{4}){3}", c) for c in body["recovery_codes"])
    assert signed_in_api.get("/mfa/recovery-codes").json() == {"remaining": 10}
    assert "secret" not in str(signed_in_api.get("/mfa/factors").json())


def test_second_verified_factor_brings_no_new_recovery_codes(signed_in_api) -> None:
    enroll_and_verify(signed_in_api)
    factor_id, secret = enroll(signed_in_api, "Work phone")
    body = signed_in_api.post(f"/mfa/factors/{factor_id}/verify", {"code": code_now(secret)}).json()
    assert "recovery_codes" not in body or body["recovery_codes"] is None


def test_wrong_code_keeps_the_factor_unverified(signed_in_api) -> None:
    factor_id, secret = enroll(signed_in_api)
    response = signed_in_api.post(f"/mfa/factors/{factor_id}/verify", {"code": wrong_code(secret)})
    assert_error(response, 422, "mfa_verification_failed")
    assert "Check the time on your phone" in response.json()["error"]["message"]
    assert Factor.objects.get(pk=factor_id).status == "unverified"


def test_codes_of_the_neighbouring_steps_work_and_farther_ones_do_not(signed_in_api) -> None:
    with time_machine.travel(timezone.now(), tick=False):
        ids = [enroll(signed_in_api, f"App {n}") for n in range(5)]
        results = [
            signed_in_api.post(
                f"/mfa/factors/{fid}/verify", {"code": code_now(secret, k)}
            ).status_code
            for (fid, secret), k in zip(ids, (-2, -1, 0, 1, 2), strict=True)
        ]
    assert results == [422, 200, 200, 200, 422]


@pytest.mark.parametrize(
    "code", ["12345", "1234567", "abcdef", "١٢٣٤٥٦", "１２３４５６", "", "1" * 10_000, "12 34 5"]
)
def test_malformed_codes_are_refused_and_check_nothing(signed_in_api, code: str) -> None:
    factor_id, _secret = enroll(signed_in_api)
    response = signed_in_api.post(f"/mfa/factors/{factor_id}/verify", {"code": code})
    assert_error(response, 422, "validation_error")
    assert not SecurityEvent.objects.filter(type="mfa.challenge.failed").exists()


def test_spaces_and_hyphens_in_codes_are_ignored(signed_in_api) -> None:
    factor_id, secret = enroll(signed_in_api)
    code = code_now(secret)
    response = signed_in_api.post(
        f"/mfa/factors/{factor_id}/verify", {"code": f"{code[:3]} - {code[3:]}"}
    )
    assert response.status_code == 200


def test_at_most_ten_factors(signed_in_api) -> None:
    for n in range(10):
        enroll(signed_in_api, f"App {n}")
    response = signed_in_api.post("/mfa/factors", {"factor_type": "totp"})
    assert_error(response, 422, "too_many_enrolled_mfa_factors")


def test_unverified_factors_expire_after_15_minutes(signed_in_api) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        for n in range(10):
            enroll(signed_in_api, f"App {n}")
        factor_id = Factor.objects.first().pk  # type: ignore[union-attr]
        traveller.shift(timedelta(minutes=16))
        response = signed_in_api.post(f"/mfa/factors/{factor_id}/verify", {"code": "123456"})
        assert_error(response, 404, "mfa_factor_not_found")
        assert signed_in_api.post("/mfa/factors", {"factor_type": "totp"}).status_code == 201
        assert Factor.objects.count() == 1


def test_default_names_count_up(signed_in_api) -> None:
    names = [
        signed_in_api.post("/mfa/factors", {"factor_type": "totp"}).json()["friendly_name"]
        for _ in range(3)
    ]
    assert names == ["Authenticator app", "Authenticator app 2", "Authenticator app 3"]


def test_names_are_trimmed_and_conflict_ignoring_case(signed_in_api) -> None:
    first = signed_in_api.post("/mfa/factors", {"factor_type": "totp", "friendly_name": "  Phone "})
    assert first.json()["friendly_name"] == "Phone"
    again = signed_in_api.post("/mfa/factors", {"factor_type": "totp", "friendly_name": "PHONE"})
    assert_error(again, 422, "mfa_factor_name_conflict")


@pytest.mark.parametrize("name", ["x" * 65, "bad\x00name", "tab\tname"])
def test_bad_names_are_refused_with_a_sentence(signed_in_api, name: str) -> None:
    response = signed_in_api.post("/mfa/factors", {"factor_type": "totp", "friendly_name": name})
    assert_error(response, 422, "validation_error")


def test_other_factor_types_are_refused(signed_in_api) -> None:
    assert_error(
        signed_in_api.post("/mfa/factors", {"factor_type": "sms"}), 422, "validation_error"
    )


def test_another_patients_factor_is_not_found_everywhere(signed_in_api, make_patient) -> None:
    other = ApiClient()
    other.sign_in(make_patient("other@example.org").email)
    factor_id, secret = enroll(other)
    for response in (
        signed_in_api.post(f"/mfa/factors/{factor_id}/verify", {"code": code_now(secret)}),
        signed_in_api.delete(f"/mfa/factors/{factor_id}"),
    ):
        assert_error(response, 404, "mfa_factor_not_found")
    assert factor_id not in str(signed_in_api.get("/mfa/factors").json())
    assert Factor.objects.get(pk=factor_id).status == "unverified"


@pytest.mark.parametrize("factor_id", ["nope", "0", str(uuid.uuid4()), "%00", "x" * 500])
def test_unknown_or_malformed_ids_are_not_found(signed_in_api, factor_id: str) -> None:
    response = signed_in_api.post(f"/mfa/factors/{factor_id}/verify", {"code": "123456"})
    assert_error(response, 404, "mfa_factor_not_found")
    assert_error(signed_in_api.delete(f"/mfa/factors/{factor_id}"), 404, "mfa_factor_not_found")


def test_unverified_factor_is_removed_without_a_code(signed_in_api) -> None:
    factor_id, _ = enroll(signed_in_api)
    assert signed_in_api.delete(f"/mfa/factors/{factor_id}").status_code == 204
    assert not Factor.objects.exists()


def test_mfa_calls_need_a_session(api: ApiClient) -> None:
    assert_error(api.get("/mfa/factors"), 401, "not_authenticated")
    assert_error(api.post("/mfa/factors", {"factor_type": "totp"}), 401, "not_authenticated")


def test_verify_sends_one_email_and_audits(signed_in_api, patient) -> None:
    enroll_and_verify(signed_in_api)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [patient.email]
    types = set(SecurityEvent.objects.filter(user=patient).values_list("type", flat=True))
    assert {"mfa.factor.enrolled", "mfa.factor.verified", "recovery_codes.generated"} <= types
    assert RecoveryCode.objects.filter(user=patient).count() == 10
