"""Passkeys through the JSON API (CONTRACT §6), every rule with the software authenticator.

The test settings' public URL is http://localhost:8000: RP ID "localhost", one origin.
Every refusal is checked for its status, its code, a sentence, that nothing was stored,
and that it was never a 500.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from carekey.accounts.models import PortalSession, User
from carekey.accounts.session_store import stored_key
from carekey.audit.models import SecurityEvent
from carekey.mfa import services
from carekey.mfa.models import Factor, Passkey, PasskeyChallenge, RecoveryCode
from tests.conftest import ApiClient
from tests.mfa_helpers import Enrolled, code_now, enroll, enroll_and_verify, wrong_code
from tests.passkey_authenticator import SoftPasskey, b64url, unb64url
from tests.passkey_helpers import (
    add_passkey,
    assert_refused,
    creation_options,
    new_key,
    request_options,
    session_key,
    signed_in_with_passkey,
    stored,
    use_passkey,
)

pytestmark = pytest.mark.django_db

EXPIRED = timedelta(minutes=5, seconds=1)


@pytest.fixture
def frozen() -> Iterator[Any]:
    """Time stands still unless a test moves it (the challenge and the reauth windows)."""
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        yield traveller


@pytest.fixture
def with_passkey(signed_in_api: ApiClient, frozen: Any) -> tuple[ApiClient, SoftPasskey]:
    """A patient whose first factor is a passkey, added in this (still signed-in) session."""
    key, _ = add_passkey(signed_in_api)
    return signed_in_api, key


@pytest.fixture
def owing_second_factor(patient: User, frozen: Any) -> tuple[ApiClient, SoftPasskey, Enrolled]:
    """A patient with an app and a passkey, and a new browser that gave only the password."""
    setup = ApiClient()
    setup.sign_in(patient.email)
    enrolled = enroll_and_verify(setup)
    key, _ = add_passkey(setup)
    browser = ApiClient()
    browser.sign_in(patient.email)
    assert browser.get("/session").json()["aal"] == "aal1"
    return browser, key, enrolled


def events(kind: str, user: User | None = None) -> list[SecurityEvent]:
    found = SecurityEvent.objects.filter(type=kind).order_by("id")
    return list(found.filter(user=user) if user is not None else found)


def lock(api: ApiClient) -> None:
    prefs = {"enabled": True, "timeout_minutes": 5, "unlock_method": "password"}
    assert api.put("/app-lock", prefs).status_code == 200
    response = api.client.post("/portal/lock", {}, headers={"X-CSRFToken": api.csrf})
    assert response.status_code == 302
    assert api.get("/session").json()["locked"] is True


# --- options --------------------------------------------------------------------------------


def test_creation_options_follow_the_contract(signed_in_api: ApiClient, patient: User) -> None:
    response = signed_in_api.client.generic(  # no body at all: it is optional
        "POST", "/api/v1/mfa/passkeys/options", b"", headers={"X-CSRFToken": signed_in_api.csrf}
    )
    assert response.status_code == 200, response.content
    assert set(response.json()) == {"publicKey"}
    options = response.json()["publicKey"]
    assert options["rp"] == {"id": "localhost", "name": "CareKey"}
    assert options["user"]["name"] == patient.email
    assert options["user"]["displayName"] == patient.name
    assert len(options["user"]["id"]) >= 43  # 32 random bytes, not the database id
    assert options["attestation"] == "none"
    assert options["timeout"] == 300_000
    selection = options["authenticatorSelection"]
    assert selection["residentKey"] == "required"
    assert selection["userVerification"] == "required"
    assert options["excludeCredentials"] == []
    assert len(options["challenge"]) >= 43
    assert PasskeyChallenge.objects.count() == 1


def test_creation_options_exclude_the_patients_passkeys_and_reuse_its_user_handle(
    with_passkey: tuple[ApiClient, SoftPasskey],
) -> None:
    api, key = with_passkey
    options = creation_options(api)
    assert options["excludeCredentials"] == [
        {"id": b64url(key.credential_id), "type": "public-key"}
    ]
    assert options["user"]["id"] == b64url(key.user_handle)


def test_every_options_call_has_a_fresh_challenge(signed_in_api: ApiClient) -> None:
    challenges = {creation_options(signed_in_api)["challenge"] for _ in range(3)}
    challenges |= {request_options(signed_in_api)["challenge"] for _ in range(2)}
    assert len(challenges) == 5


def test_a_session_keeps_at_most_five_open_challenges(signed_in_api: ApiClient) -> None:
    for _ in range(12):
        request_options(signed_in_api)
    assert PasskeyChallenge.objects.count() == 5


def test_request_options_list_the_signed_in_patients_passkeys(
    with_passkey: tuple[ApiClient, SoftPasskey],
) -> None:
    api, key = with_passkey
    options = request_options(api)
    assert options["rpId"] == "localhost"
    assert options["userVerification"] == "required"
    assert options["timeout"] == 300_000
    assert options["allowCredentials"] == [{"id": b64url(key.credential_id), "type": "public-key"}]


def test_request_options_for_nobody_signed_in_allow_any_passkey(
    with_passkey: tuple[ApiClient, SoftPasskey],
) -> None:
    options = request_options(ApiClient())
    assert options["rpId"] == "localhost"
    assert options["userVerification"] == "required"
    assert options["allowCredentials"] == []


# --- adding a passkey -------------------------------------------------------------------------


def test_a_first_passkey_is_verified_at_once_and_brings_ten_recovery_codes(
    signed_in_api: ApiClient, patient: User
) -> None:
    before = session_key(signed_in_api)
    key, body = add_passkey(signed_in_api)
    assert body["factor_type"] == "webauthn"
    assert body["status"] == "verified"
    assert body["friendly_name"] == "Passkey"
    assert len(body["recovery_codes"]) == 10
    assert len(set(body["recovery_codes"])) == 10
    assert RecoveryCode.objects.filter(user=patient).count() == 10
    passkey = Passkey.objects.get(factor_id=body["id"])
    assert passkey.credential_id == b64url(key.credential_id)
    assert bytes(passkey.public_key) == key._cose_public_key()
    assert passkey.aaguid == "cafe0000-cafe-0000-cafe-0000cafe0000"
    assert passkey.transports == ["internal"]
    assert passkey.factor.secret_ciphertext == ""  # a public key, no secret
    session = signed_in_api.get("/session").json()
    assert session["aal"] == "aal2" and session["reauthenticated_until"] is not None
    assert session_key(signed_in_api) != before
    assert not PasskeyChallenge.objects.exists()  # used once
    (verified,) = events("mfa.factor.verified", patient)
    assert verified.detail["factor_type"] == "webauthn"
    assert verified.detail["factor_id"] == body["id"]
    assert len(events("recovery_codes.generated", patient)) == 1
    assert len(mail.outbox) == 1


def test_a_second_passkey_brings_no_codes_and_takes_the_next_default_name(
    with_passkey: tuple[ApiClient, SoftPasskey],
) -> None:
    api, _ = with_passkey
    _, second = add_passkey(api)
    assert second["friendly_name"] == "Passkey 2"
    assert second.get("recovery_codes") is None
    _, third = add_passkey(api)
    assert third["friendly_name"] == "Passkey 3"
    assert RecoveryCode.objects.count() == 10


def test_a_passkey_after_an_app_brings_no_codes(signed_in_api: ApiClient) -> None:
    enroll_and_verify(signed_in_api)
    _, body = add_passkey(signed_in_api, name="Laptop")
    assert body["friendly_name"] == "Laptop"
    assert body.get("recovery_codes") is None


def test_the_name_given_is_trimmed(signed_in_api: ApiClient) -> None:
    _, body = add_passkey(signed_in_api, name="  Work laptop  ")
    assert body["friendly_name"] == "Work laptop"


def test_names_are_unique_ignoring_case(with_passkey: tuple[ApiClient, SoftPasskey]) -> None:
    api, _ = with_passkey
    add_passkey(api, name="Laptop")
    early = api.post("/mfa/passkeys/options", {"friendly_name": "LAPTOP"})
    assert_refused(early, code="mfa_factor_name_conflict")
    early = api.post("/mfa/passkeys/options", {"friendly_name": "passkey"})
    assert_refused(early, code="mfa_factor_name_conflict")
    before = stored()
    late = api.post(
        "/mfa/passkeys",
        {"credential": new_key().create(creation_options(api)), "friendly_name": "laptop"},
    )
    assert_refused(late, code="mfa_factor_name_conflict")
    assert stored() == before


def test_an_app_and_a_passkey_share_the_names(signed_in_api: ApiClient) -> None:
    enroll_and_verify(signed_in_api, "Phone")
    response = signed_in_api.post("/mfa/passkeys/options", {"friendly_name": "phone"})
    assert_refused(response, code="mfa_factor_name_conflict")


def test_a_name_too_long_is_refused_before_the_prompt(signed_in_api: ApiClient) -> None:
    response = signed_in_api.post("/mfa/passkeys/options", {"friendly_name": "x" * 65})
    assert_refused(response, code="validation_error")
    assert not PasskeyChallenge.objects.exists()


def test_the_factor_list_shows_a_passkey(with_passkey: tuple[ApiClient, SoftPasskey]) -> None:
    api, key = with_passkey
    (listed,) = api.get("/mfa/factors").json()["factors"]
    assert listed["factor_type"] == "webauthn"
    assert listed["friendly_name"] == "Passkey"
    assert listed["status"] == "verified"
    assert listed["last_used_at"] is None
    assert use_passkey(api, key).status_code == 200
    (listed,) = api.get("/mfa/factors").json()["factors"]
    assert listed["last_used_at"] is not None
    assert b64url(key.credential_id) not in json.dumps(listed)


# --- reauthentication before adding -----------------------------------------------------------


def test_adding_needs_reauthentication_when_a_factor_is_verified(
    signed_in_api: ApiClient, frozen: Any
) -> None:
    enroll_and_verify(signed_in_api)
    options = creation_options(signed_in_api)  # within the verify step's five minutes
    frozen.shift(timedelta(minutes=4, seconds=59))
    credential = new_key().create(options)
    frozen.shift(timedelta(seconds=2))
    before = stored()
    assert_refused(
        signed_in_api.post("/mfa/passkeys/options", {}),
        status=403,
        code="reauthentication_required",
    )
    refused = signed_in_api.post("/mfa/passkeys", {"credential": credential})
    assert_refused(refused, status=403, code="reauthentication_required")
    assert stored() == before


def test_a_passkey_reauthenticates(
    with_passkey: tuple[ApiClient, SoftPasskey], patient: User, frozen: Any
) -> None:
    api, key = with_passkey
    frozen.shift(EXPIRED)
    assert api.get("/session").json()["reauthenticated_until"] is None
    assert_refused(
        api.post("/mfa/passkeys/options", {}), status=403, code="reauthentication_required"
    )
    response = use_passkey(api, key)
    assert response.status_code == 200, response.content
    assert response.json()["aal"] == "aal2"
    assert response.json()["reauthenticated_until"] is not None
    (succeeded,) = events("mfa.challenge.succeeded", patient)
    assert succeeded.detail["method"] == "passkey"
    assert succeeded.detail["purpose"] == "reauthenticate"
    _, second = add_passkey(api)
    assert second["friendly_name"] == "Passkey 2"


def test_a_passkey_reauthenticates_for_an_app_too(signed_in_api: ApiClient, frozen: Any) -> None:
    enroll_and_verify(signed_in_api)
    key, _ = add_passkey(signed_in_api)
    frozen.shift(EXPIRED)
    refused = signed_in_api.post("/mfa/recovery-codes")
    assert_refused(refused, status=403, code="reauthentication_required")
    assert use_passkey(signed_in_api, key).status_code == 200
    assert signed_in_api.post("/mfa/recovery-codes").status_code == 201


# --- the cap ----------------------------------------------------------------------------------


def test_ten_factors_in_all_then_no_more_passkeys(
    with_passkey: tuple[ApiClient, SoftPasskey],
) -> None:
    api, _ = with_passkey
    for _ in range(4):
        add_passkey(api)
    for n in range(5):
        enroll(api, f"App {n}")  # unverified apps count too
    assert Factor.objects.count() == 10
    before = stored()
    refused = api.post("/mfa/passkeys/options", {})
    assert_refused(refused, code="too_many_enrolled_mfa_factors")
    assert stored() == before


def test_the_cap_is_checked_again_when_the_passkey_arrives(
    with_passkey: tuple[ApiClient, SoftPasskey],
) -> None:
    api, _ = with_passkey
    for n in range(8):
        enroll(api, f"App {n}")
    options = creation_options(api)  # the tenth would fit now ...
    enroll(api, "App 9")  # ... but another tab took the place
    before = stored()
    refused = api.post("/mfa/passkeys", {"credential": new_key().create(options)})
    assert_refused(refused, code="too_many_enrolled_mfa_factors")
    assert stored() == before


def test_expired_unfinished_apps_do_not_count_towards_the_cap(
    with_passkey: tuple[ApiClient, SoftPasskey], frozen: Any
) -> None:
    api, key = with_passkey
    for n in range(9):
        enroll(api, f"App {n}")
    frozen.shift(timedelta(minutes=16))  # unverified factors expire after 15 minutes
    assert use_passkey(api, key).status_code == 200  # reauthenticate
    options = api.post("/mfa/passkeys/options", {})
    assert options.status_code == 200, options.content


# --- sign-in ----------------------------------------------------------------------------------


def test_a_passkey_alone_signs_in_at_aal2(
    with_passkey: tuple[ApiClient, SoftPasskey], patient: User
) -> None:
    _, key = with_passkey
    browser = ApiClient()
    anonymous = browser.client.cookies.get("carekey_session")
    response = use_passkey(browser, key)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["user"]["email"] == patient.email
    assert (body["aal"], body["next_level"], body["locked"]) == ("aal2", "aal2", False)
    assert body["reauthenticated_until"] is not None
    assert anonymous is None or session_key(browser) != anonymous.value
    assert browser.get("/mfa/factors").status_code == 200  # past the aal2 gate
    (signed_in,) = [e for e in events("signin.succeeded", patient) if e.detail.get("method")]
    assert signed_in.detail["method"] == "passkey"


def test_a_passkey_sign_in_updates_the_counter_and_last_use(
    with_passkey: tuple[ApiClient, SoftPasskey],
) -> None:
    _, key = with_passkey
    signed_in_with_passkey(key)
    signed_in_with_passkey(key)
    passkey = Passkey.objects.get()
    assert passkey.sign_count == key.sign_count == 2
    assert passkey.factor.last_used_at is not None


def test_the_verify_step_with_a_passkey(
    owing_second_factor: tuple[ApiClient, SoftPasskey, Enrolled], patient: User
) -> None:
    browser, key, _ = owing_second_factor
    options = request_options(browser)
    assert options["allowCredentials"] == [{"id": b64url(key.credential_id), "type": "public-key"}]
    before = session_key(browser)
    response = browser.post("/session/passkey", {"credential": key.get(options)})
    assert response.status_code == 200, response.content
    assert response.json()["aal"] == "aal2"
    assert session_key(browser) != before
    assert not PortalSession.objects.filter(session_key=stored_key(before)).exists()
    (succeeded,) = events("mfa.challenge.succeeded", patient)
    assert succeeded.detail == {**succeeded.detail, "method": "passkey", "purpose": "sign_in"}
    assert browser.get("/mfa/factors").status_code == 200


def test_unlock_with_a_passkey(with_passkey: tuple[ApiClient, SoftPasskey], patient: User) -> None:
    api, key = with_passkey
    lock(api)
    assert api.get("/mfa/factors").status_code == 423
    before = session_key(api)
    response = use_passkey(api, key)
    assert response.status_code == 200, response.content
    assert response.json()["locked"] is False
    assert session_key(api) != before
    assert api.get("/mfa/factors").status_code == 200
    (unlocked,) = events("session.unlocked", patient)
    assert unlocked.detail["method"] == "passkey"


def test_unlock_refuses_an_empty_passkey_in_passkey_words(
    with_passkey: tuple[ApiClient, SoftPasskey],
) -> None:
    api, _ = with_passkey
    lock(api)
    empty: list[Any] = [None, "", {}, []]
    for credential in empty:
        assert_refused(api.post("/session/passkey", {"credential": credential}))
    assert api.get("/session").json()["locked"] is True


def test_unchecked_passkeys_do_not_count_towards_the_five_unlocks(
    with_passkey: tuple[ApiClient, SoftPasskey],
) -> None:
    """Like a malformed code: not a credential, or no open challenge, checks nothing."""
    api, key = with_passkey
    lock(api)
    stale = key.get({"challenge": b64url(secrets.token_bytes(32))})
    for credential in ("{not json", None, stale, stale, stale, {"id": "x"}):
        assert_refused(api.post("/session/passkey", {"credential": credential}))
    assert use_passkey(api, key).status_code == 200
    assert api.get("/session").json()["locked"] is False


def test_five_failed_passkey_unlocks_sign_the_session_out(
    with_passkey: tuple[ApiClient, SoftPasskey],
) -> None:
    api, key = with_passkey
    lock(api)
    statuses = [use_passkey(api, key, origin="https://evil.example").status_code for _ in range(5)]
    assert statuses == [422, 422, 422, 422, 401]
    assert api.get("/session").status_code == 401


def test_unlock_with_another_patients_passkey_is_refused(
    with_passkey: tuple[ApiClient, SoftPasskey], make_patient: Callable[..., User]
) -> None:
    _, key = with_passkey
    other = ApiClient()
    other.sign_in(make_patient().email)
    lock(other)
    assert_refused(use_passkey(other, key))
    assert other.get("/session").json()["locked"] is True


# --- removal ----------------------------------------------------------------------------------


def test_removing_a_passkey(
    with_passkey: tuple[ApiClient, SoftPasskey], patient: User, frozen: Any
) -> None:
    api, key = with_passkey
    elsewhere = signed_in_with_passkey(key)
    factor = Factor.objects.get()
    frozen.shift(EXPIRED)
    assert_refused(
        api.delete(f"/mfa/factors/{factor.pk}"), status=403, code="reauthentication_required"
    )
    assert use_passkey(api, key).status_code == 200
    mail.outbox.clear()
    before = session_key(api)
    assert api.delete(f"/mfa/factors/{factor.pk}").status_code == 204
    assert session_key(api) != before
    assert api.get("/session").json()["aal"] == "aal1"
    assert elsewhere.get("/session").status_code == 401
    assert not Passkey.objects.exists() and not Factor.objects.exists()
    assert not RecoveryCode.objects.exists()  # the last factor took the codes along
    assert len(mail.outbox) == 1
    (removed,) = events("mfa.factor.removed", patient)
    assert removed.detail["factor_type"] == "webauthn"
    assert removed.detail["factor_id"] == str(factor.pk)
    assert api.get("/mfa/factors").json()["factors"] == []
    assert_refused(use_passkey(ApiClient(), key))  # and it no longer signs in


def test_removing_one_of_two_keeps_the_codes(with_passkey: tuple[ApiClient, SoftPasskey]) -> None:
    api, _ = with_passkey
    _, second = add_passkey(api)
    assert api.delete(f"/mfa/factors/{second['id']}").status_code == 204
    assert RecoveryCode.objects.count() == 10
    assert Passkey.objects.count() == 1


def test_a_staff_reset_removes_passkeys(
    with_passkey: tuple[ApiClient, SoftPasskey], patient: User
) -> None:
    api, key = with_passkey
    add_passkey(api)
    PasskeyChallenge.objects.all().delete()
    request_options(api)
    assert services.reset_mfa(patient, "Lost phone and laptop") == 2
    assert not Passkey.objects.exists() and not Factor.objects.exists()
    assert api.get("/session").status_code == 401
    assert_refused(use_passkey(ApiClient(), key))


# --- the throttle -----------------------------------------------------------------------------


def test_five_failed_passkeys_then_even_a_right_one_waits(
    with_passkey: tuple[ApiClient, SoftPasskey], patient: User, frozen: Any
) -> None:
    api, key = with_passkey
    for _ in range(5):
        assert_refused(use_passkey(api, key, origin="https://evil.example"))
    refused = use_passkey(api, key)
    assert_refused(refused, status=429, code="too_many_attempts")
    assert int(refused["Retry-After"]) >= 1
    assert events("mfa.throttled", patient)
    frozen.shift(timedelta(seconds=31))
    assert use_passkey(api, key).status_code == 200


def test_passkey_failures_and_wrong_codes_share_one_count(
    owing_second_factor: tuple[ApiClient, SoftPasskey, Enrolled],
) -> None:
    browser, key, enrolled = owing_second_factor
    for _ in range(3):
        assert (
            browser.post("/session/verify", {"code": wrong_code(enrolled.secret)}).status_code
            == 422
        )
    for _ in range(2):
        assert_refused(use_passkey(browser, key, user_verified=False))
    assert_refused(use_passkey(browser, key), status=429, code="too_many_attempts")
    code = browser.post("/session/verify", {"code": code_now(enrolled.secret, 1)})
    assert_refused(code, status=429, code="too_many_attempts")


def test_failed_passkey_sign_ins_count_for_the_account(
    owing_second_factor: tuple[ApiClient, SoftPasskey, Enrolled],
) -> None:
    """Anonymous "Sign in with a passkey" failures count for the passkey's owner."""
    browser, key, enrolled = owing_second_factor
    for _ in range(5):
        assert_refused(use_passkey(ApiClient(), key, rp_id="evil.example"))
    refused = browser.post("/session/verify", {"code": code_now(enrolled.secret, 1)})
    assert_refused(refused, status=429, code="too_many_attempts")
    assert_refused(use_passkey(ApiClient(), key), status=429, code="too_many_attempts")


def test_unchecked_passkeys_count_in_no_throttle(
    with_passkey: tuple[ApiClient, SoftPasskey],
) -> None:
    api, key = with_passkey
    stale = key.get({"challenge": b64url(secrets.token_bytes(32))})
    unchecked: list[Any] = ["{not json", [], stale, stale, stale, {"rawId": "%"}]
    for credential in unchecked:
        assert_refused(api.post("/session/passkey", {"credential": credential}))
        assert_refused(ApiClient().post("/session/passkey", {"credential": credential}))
    assert use_passkey(api, key).status_code == 200


def test_a_passkey_success_resets_the_count(with_passkey: tuple[ApiClient, SoftPasskey]) -> None:
    api, key = with_passkey
    for _ in range(4):
        assert_refused(use_passkey(api, key, origin="https://evil.example"))
    assert use_passkey(api, key).status_code == 200
    for _ in range(5):
        assert_refused(use_passkey(api, key, origin="https://evil.example"))
    assert_refused(use_passkey(api, key), status=429, code="too_many_attempts")


# --- the counter ------------------------------------------------------------------------------


def test_a_counter_going_backwards_is_refused_and_audited(
    with_passkey: tuple[ApiClient, SoftPasskey], patient: User
) -> None:
    api, key = with_passkey
    clone = SoftPasskey(
        rp_id=key.rp_id,
        origin=key.origin,
        credential_id=key.credential_id,
        key=key.key,
        user_handle=key.user_handle,
    )
    for _ in range(3):
        assert use_passkey(api, key).status_code == 200
    message = assert_refused(use_passkey(ApiClient(), clone))  # counter 1 after 3
    assert "copied" in message
    (regressed,) = events("mfa.passkey.counter_regressed", patient)
    assert regressed.detail["stored"] == 3 and regressed.detail["received"] == 1
    assert regressed.detail["factor_id"] == str(Passkey.objects.get().factor_id)
    assert Passkey.objects.get().sign_count == 3


def test_a_passkey_caught_as_a_copy_stays_refused_whatever_its_counter(
    with_passkey: tuple[ApiClient, SoftPasskey], patient: User
) -> None:
    """After a regression the copy and the original look alike: a higher counter next
    time (the copy used again) must not sign anyone in until the passkey is removed."""
    api, key = with_passkey
    assert use_passkey(api, key, counter_step=5).status_code == 200
    assert "copied" in assert_refused(use_passkey(ApiClient(), key, counter_step=-2))
    assert "copied" in assert_refused(use_passkey(ApiClient(), key, counter_step=50))
    assert Passkey.objects.get().refused_as_copy_at is not None
    (copied,) = [
        e for e in events("mfa.challenge.failed", patient) if e.detail.get("reason") == "copied"
    ]
    assert copied.detail["method"] == "passkey"


def test_the_same_counter_twice_is_refused(with_passkey: tuple[ApiClient, SoftPasskey]) -> None:
    api, key = with_passkey
    assert use_passkey(api, key).status_code == 200
    assert_refused(use_passkey(api, key, counter_step=0))
    assert len(events("mfa.passkey.counter_regressed")) == 1


def test_a_counter_that_is_always_zero_is_fine(with_passkey: tuple[ApiClient, SoftPasskey]) -> None:
    api, key = with_passkey
    for _ in range(3):
        assert use_passkey(api, key, counter_step=0).status_code == 200
    assert Passkey.objects.get().sign_count == 0
    assert not events("mfa.passkey.counter_regressed")


def test_counter_regressions_count_in_the_throttle(
    with_passkey: tuple[ApiClient, SoftPasskey],
) -> None:
    api, key = with_passkey
    assert use_passkey(api, key, counter_step=10).status_code == 200
    for _ in range(5):
        assert_refused(use_passkey(api, key, counter_step=-1))
    assert_refused(use_passkey(api, key, counter_step=20), status=429, code="too_many_attempts")


# --- bad input: registration ------------------------------------------------------------------


def _registration(api: ApiClient) -> dict[str, Any]:
    return new_key().create(creation_options(api))


def _truncate(text: str) -> str:
    return text[: max(1, len(text) // 2)]


def _broken_registrations() -> dict[str, Callable[[dict[str, Any]], Any]]:
    def set_in(path: str, value: Any) -> Callable[[dict[str, Any]], Any]:
        def change(credential: dict[str, Any]) -> Any:
            target = credential
            *parents, last = path.split(".")
            for part in parents:
                target = target[part]
            target[last] = value if not callable(value) else value(target[last])
            return credential

        return change

    return {
        "not JSON": lambda c: "{not json",
        "truncated JSON text": lambda c: _truncate(json.dumps(c)),
        "a JSON list": lambda c: [c],
        "a number": lambda c: 7,
        "null": lambda c: None,
        "no response": lambda c: {k: v for k, v in c.items() if k != "response"},
        "no clientDataJSON": set_in("response.clientDataJSON", None),
        "truncated clientDataJSON": set_in("response.clientDataJSON", _truncate),
        "truncated attestationObject": set_in("response.attestationObject", _truncate),
        "attestationObject not base64url": set_in("response.attestationObject", "%%%"),
        "id is not rawId": set_in("id", b64url(b"somebody else")),
        "type is not public-key": set_in("type", "password"),
        "transports of any kind": set_in("response.transports", {"x": [1, None]}),
    }


@pytest.mark.parametrize("case", sorted(_broken_registrations()))
def test_a_broken_registration_is_refused(signed_in_api: ApiClient, case: str) -> None:
    credential = _broken_registrations()[case](_registration(signed_in_api))
    before = stored()
    response = signed_in_api.post("/mfa/passkeys", {"credential": credential})
    if case == "transports of any kind":  # ignored: an optional hint
        assert response.status_code == 201, response.content
        assert Passkey.objects.get().transports == []
        return
    assert_refused(response)
    assert stored() == before


@pytest.mark.parametrize(
    ("knobs", "sentence"),
    [
        ({"origin": "https://evil.example"}, "could not be verified"),
        ({"origin": "http://localhost:8001"}, "could not be verified"),
        ({"origin": "https://localhost:8000"}, "could not be verified"),
        ({"rp_id": "evil.example"}, "could not be verified"),
        ({"rp_id": "example.org"}, "could not be verified"),
        ({"user_verified": False}, "did not confirm it was you"),
    ],
)
def test_a_registration_from_elsewhere_or_unverified_is_refused(
    signed_in_api: ApiClient, knobs: dict[str, Any], sentence: str
) -> None:
    credential = new_key().create(creation_options(signed_in_api), **knobs)
    message = assert_refused(signed_in_api.post("/mfa/passkeys", {"credential": credential}))
    assert sentence in message
    assert stored() == {"factors": 0, "passkeys": 0, "recovery_codes": 0}


def test_a_registration_answering_another_challenge_is_refused(signed_in_api: ApiClient) -> None:
    options = {**creation_options(signed_in_api), "challenge": b64url(secrets.token_bytes(32))}
    credential = new_key().create(options)
    assert_refused(signed_in_api.post("/mfa/passkeys", {"credential": credential}))
    assert not Passkey.objects.exists()
    assert PasskeyChallenge.objects.count() == 1  # the real one is still open


def test_a_registration_after_five_minutes_is_refused(
    signed_in_api: ApiClient, frozen: Any
) -> None:
    options = creation_options(signed_in_api)
    frozen.shift(EXPIRED)
    credential = new_key().create(options)
    message = assert_refused(signed_in_api.post("/mfa/passkeys", {"credential": credential}))
    assert "expired" in message
    assert not Passkey.objects.exists()


def test_a_registration_just_within_five_minutes_is_accepted(
    signed_in_api: ApiClient, frozen: Any
) -> None:
    options = creation_options(signed_in_api)
    frozen.shift(timedelta(minutes=4, seconds=59))
    response = signed_in_api.post("/mfa/passkeys", {"credential": new_key().create(options)})
    assert response.status_code == 201, response.content


def test_a_registration_replayed_is_refused(signed_in_api: ApiClient) -> None:
    credential = _registration(signed_in_api)
    assert signed_in_api.post("/mfa/passkeys", {"credential": credential}).status_code == 201
    before = stored()
    assert_refused(signed_in_api.post("/mfa/passkeys", {"credential": credential}))
    assert stored() == before


def test_the_same_passkey_registered_twice_is_refused(
    with_passkey: tuple[ApiClient, SoftPasskey],
) -> None:
    api, key = with_passkey
    before = stored()
    again = key.create(creation_options(api))  # the authenticator ignored excludeCredentials
    message = assert_refused(api.post("/mfa/passkeys", {"credential": again}))
    assert "already registered" in message
    assert stored() == before


def test_a_passkey_belongs_to_one_patient(
    with_passkey: tuple[ApiClient, SoftPasskey], make_patient: Callable[..., User]
) -> None:
    _, key = with_passkey
    other = ApiClient()
    other.sign_in(make_patient().email)
    before = stored()
    assert_refused(other.post("/mfa/passkeys", {"credential": key.create(creation_options(other))}))
    assert stored() == before


def test_a_registration_challenge_of_another_session_is_refused(
    signed_in_api: ApiClient, patient: User
) -> None:
    options = creation_options(signed_in_api)
    thief = ApiClient()
    thief.sign_in(patient.email)
    assert_refused(thief.post("/mfa/passkeys", {"credential": new_key().create(options)}))
    assert not Passkey.objects.exists()
    # The rightful session can still finish: a stranger cannot burn its challenge.
    response = signed_in_api.post("/mfa/passkeys", {"credential": new_key().create(options)})
    assert response.status_code == 201, response.content


def test_a_sign_in_challenge_cannot_register(signed_in_api: ApiClient) -> None:
    options = request_options(signed_in_api)
    registration = new_key().create(
        {**creation_options(signed_in_api), "challenge": options["challenge"]}
    )
    assert_refused(signed_in_api.post("/mfa/passkeys", {"credential": registration}))
    assert not Passkey.objects.exists()


@pytest.mark.parametrize("shape", ["object", "text"])
def test_a_huge_registration_is_refused(signed_in_api: ApiClient, shape: str) -> None:
    credential = _registration(signed_in_api)
    credential["response"]["padding"] = "A" * 70_000
    sent: Any = credential if shape == "object" else json.dumps(credential)
    assert_refused(signed_in_api.post("/mfa/passkeys", {"credential": sent}))
    assert not Passkey.objects.exists()


def test_a_registration_without_credential_is_a_validation_error(signed_in_api: ApiClient) -> None:
    response = signed_in_api.post("/mfa/passkeys", {"friendly_name": "x"})
    assert_refused(response, code="validation_error")
    response = signed_in_api.post("/mfa/passkeys", {"credential": {}, "extra": 1})
    assert_refused(response, code="validation_error")


# --- bad input: sign-in, verify step and reauthentication -------------------------------------


def _assertion_changes() -> dict[str, Callable[[dict[str, Any]], Any]]:
    def set_in(path: str, value: Any) -> Callable[[dict[str, Any]], Any]:
        def change(credential: dict[str, Any]) -> Any:
            target = credential
            *parents, last = path.split(".")
            for part in parents:
                target = target[part]
            target[last] = value if not callable(value) else value(target[last])
            return credential

        return change

    return {
        "not JSON": lambda c: "{not json",
        "truncated JSON text": lambda c: _truncate(json.dumps(c)),
        "a JSON list": lambda c: [c],
        "null": lambda c: None,
        "empty object": lambda c: {},
        "no response": lambda c: {k: v for k, v in c.items() if k != "response"},
        "truncated clientDataJSON": set_in("response.clientDataJSON", _truncate),
        "truncated authenticatorData": set_in("response.authenticatorData", _truncate),
        "truncated signature": set_in("response.signature", _truncate),
        "signature not base64url": set_in("response.signature", "%%%%"),
        "no signature": set_in("response.signature", None),
        "unknown credential id": lambda c: {
            **c,
            "id": b64url(b"x" * 16),
            "rawId": b64url(b"x" * 16),
        },
        "rawId not base64url": set_in("rawId", "é"),
        "id is not rawId": set_in("id", b64url(b"other")),
        "another user handle": set_in("response.userHandle", b64url(b"someone else")),
        "user handle not base64url": set_in("response.userHandle", "!!"),
        "a registration instead": lambda c: new_key().create(
            {"challenge": json.loads(_client_data(c))["challenge"], "user": {"id": "AA"}}
        ),
    }


def _client_data(credential: dict[str, Any]) -> str:
    return unb64url(credential["response"]["clientDataJSON"]).decode()


@pytest.mark.parametrize("case", sorted(_assertion_changes()))
def test_a_broken_sign_in_is_refused(
    with_passkey: tuple[ApiClient, SoftPasskey], case: str
) -> None:
    _, key = with_passkey
    browser = ApiClient()
    credential = _assertion_changes()[case](key.get(request_options(browser)))
    before = stored()
    assert_refused(browser.post("/session/passkey", {"credential": credential}))
    assert browser.get("/session").status_code == 401
    assert stored() == before


@pytest.mark.parametrize("case", sorted(_assertion_changes()))
def test_a_broken_verify_step_is_refused(
    owing_second_factor: tuple[ApiClient, SoftPasskey, Enrolled], case: str
) -> None:
    browser, key, _ = owing_second_factor
    credential = _assertion_changes()[case](key.get(request_options(browser)))
    before = stored()
    assert_refused(browser.post("/session/passkey", {"credential": credential}))
    assert browser.get("/session").json()["aal"] == "aal1"
    assert stored() == before


@pytest.mark.parametrize(
    ("knobs", "sentence"),
    [
        ({"origin": "https://evil.example"}, "could not be verified"),
        ({"origin": "http://localhost"}, "could not be verified"),
        ({"rp_id": "evil.example"}, "could not be verified"),
        ({"user_verified": False}, "did not confirm it was you"),
    ],
)
def test_a_sign_in_from_elsewhere_or_unverified_is_refused(
    with_passkey: tuple[ApiClient, SoftPasskey], patient: User, knobs: dict[str, Any], sentence: str
) -> None:
    _, key = with_passkey
    browser = ApiClient()
    message = assert_refused(use_passkey(browser, key, **knobs))
    assert sentence in message
    assert browser.get("/session").status_code == 401
    (failed,) = events("mfa.challenge.failed", patient)
    assert failed.detail["method"] == "passkey"


def test_a_sign_in_answering_another_challenge_is_refused(
    with_passkey: tuple[ApiClient, SoftPasskey],
) -> None:
    _, key = with_passkey
    browser = ApiClient()
    request_options(browser)
    credential = key.get({"challenge": b64url(secrets.token_bytes(32))})
    assert_refused(browser.post("/session/passkey", {"credential": credential}))
    assert browser.get("/session").status_code == 401


def test_a_sign_in_after_five_minutes_is_refused(
    with_passkey: tuple[ApiClient, SoftPasskey], frozen: Any
) -> None:
    _, key = with_passkey
    browser = ApiClient()
    options = request_options(browser)
    frozen.shift(EXPIRED)
    message = assert_refused(browser.post("/session/passkey", {"credential": key.get(options)}))
    assert "expired" in message
    assert browser.get("/session").status_code == 401


def test_a_sign_in_challenge_works_once(with_passkey: tuple[ApiClient, SoftPasskey]) -> None:
    _, key = with_passkey
    browser = ApiClient()
    options = request_options(browser)
    assertion = key.get(options)
    assert browser.post("/session/passkey", {"credential": assertion}).status_code == 200
    assert_refused(browser.post("/session/passkey", {"credential": assertion}))
    assert_refused(browser.post("/session/passkey", {"credential": key.get(options)}))


def test_a_sign_in_challenge_of_another_session_is_refused(
    with_passkey: tuple[ApiClient, SoftPasskey],
) -> None:
    _, key = with_passkey
    victim, thief = ApiClient(), ApiClient()
    options = request_options(victim)
    assert_refused(thief.post("/session/passkey", {"credential": key.get(options)}))
    assert thief.get("/session").status_code == 401
    response = victim.post("/session/passkey", {"credential": key.get(options)})
    assert response.status_code == 200, response.content


def test_a_registration_challenge_cannot_sign_in(
    with_passkey: tuple[ApiClient, SoftPasskey],
) -> None:
    api, key = with_passkey
    options = creation_options(api)
    assert_refused(api.post("/session/passkey", {"credential": key.get(options)}))


def test_another_patients_passkey_at_the_verify_step_is_refused(
    with_passkey: tuple[ApiClient, SoftPasskey], make_patient: Callable[..., User]
) -> None:
    """A has a passkey; B signs in with B's password and offers A's passkey."""
    _, key_of_a = with_passkey
    b = make_patient()
    setup = ApiClient()
    setup.sign_in(b.email)
    enroll_and_verify(setup)
    browser = ApiClient()
    browser.sign_in(b.email)
    message = assert_refused(use_passkey(browser, key_of_a))
    assert "not registered for your account" in message
    assert browser.get("/session").json()["aal"] == "aal1"
    assert browser.get("/mfa/factors").status_code == 403


def test_another_patients_passkey_cannot_reauthenticate(
    with_passkey: tuple[ApiClient, SoftPasskey], make_patient: Callable[..., User], frozen: Any
) -> None:
    _, key_of_a = with_passkey
    b = ApiClient()
    b.sign_in(make_patient().email)
    add_passkey(b)
    frozen.shift(EXPIRED)
    assert_refused(use_passkey(b, key_of_a))
    assert b.get("/session").json()["reauthenticated_until"] is None


def test_an_unknown_passkey_cannot_sign_in(with_passkey: tuple[ApiClient, SoftPasskey]) -> None:
    browser = ApiClient()
    stranger = new_key(user_handle=b"\x01" * 32)
    message = assert_refused(use_passkey(browser, stranger))
    assert "not registered" in message
    assert browser.get("/session").status_code == 401


def test_a_deactivated_patients_passkey_cannot_sign_in(
    with_passkey: tuple[ApiClient, SoftPasskey], patient: User
) -> None:
    _, key = with_passkey
    User.objects.filter(pk=patient.pk).update(is_active=False)
    assert_refused(use_passkey(ApiClient(), key))


@pytest.mark.parametrize("shape", ["object", "text"])
def test_a_huge_assertion_is_refused(
    with_passkey: tuple[ApiClient, SoftPasskey], shape: str
) -> None:
    _, key = with_passkey
    browser = ApiClient()
    credential = key.get(request_options(browser))
    credential["clientExtensionResults"] = {"padding": "A" * 70_000}
    sent: Any = credential if shape == "object" else json.dumps(credential)
    assert_refused(browser.post("/session/passkey", {"credential": sent}))
    assert browser.get("/session").status_code == 401


def test_a_megabyte_body_is_refused_in_passkey_words(
    with_passkey: tuple[ApiClient, SoftPasskey],
) -> None:
    browser = ApiClient()
    request_options(browser)
    assert_refused(browser.post("/session/passkey", {"credential": {"id": "A" * 1_000_000}}))


def test_a_sign_in_without_credential_is_a_validation_error(api: ApiClient) -> None:
    assert_refused(api.post("/session/passkey", {}), code="validation_error")


def test_nothing_in_the_refusals_tells_the_credential(
    with_passkey: tuple[ApiClient, SoftPasskey], patient: User
) -> None:
    """Refusals and audit details hold reasons, never keys, ids or signatures."""
    _, key = with_passkey
    use_passkey(ApiClient(), key, origin="https://evil.example")
    for event in SecurityEvent.objects.filter(user=patient):
        text = json.dumps(event.detail)
        assert b64url(key.credential_id) not in text
        assert "signature" not in text.lower()
