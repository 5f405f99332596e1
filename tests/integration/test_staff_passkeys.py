"""Passkeys in the staff admin (CONTRACT §5, §6): listed beside authenticator apps with
their AAGUID and whether they sync, never their public key, credential id or user handle;
nobody edits them there; "Reset MFA" removes them with the other factors."""

from __future__ import annotations

import base64
import re
from datetime import timedelta

import pytest
from django.contrib import admin
from django.utils import formats, timezone

from carekey.accounts.models import PortalSession, User
from carekey.audit.models import SecurityEvent
from carekey.mfa.models import Factor, Passkey, PasskeyChallenge, RecoveryCode
from tests.conftest import ApiClient
from tests.mfa_helpers import enroll_and_verify
from tests.passkey_authenticator import SoftPasskey

pytestmark = pytest.mark.django_db

PUBLIC_KEY = b"\xa5\x01\x02\x03&PUBLIC-KEY-OF-THE-TEST-" + bytes(range(32))
CREDENTIAL_ID = "CREDENTIAL-ID-OF-THE-TEST-pk7Q"
USER_HANDLE = "USER-HANDLE-OF-THE-TEST-uh3Z"
AAGUID = "ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4"


def passkey_row(
    patient: User,
    *,
    name: str = "Work laptop",
    backup_eligible: bool = False,
    backed_up: bool = False,
) -> Passkey:
    factor = Factor.objects.create(
        user=patient,
        friendly_name=name,
        factor_type="webauthn",
        status=Factor.Status.VERIFIED,
        secret_ciphertext="",
        last_used_at=timezone.now() - timedelta(days=2),
    )
    return Passkey.objects.create(
        factor=factor,
        credential_id=CREDENTIAL_ID,
        user_handle=USER_HANDLE,
        public_key=PUBLIC_KEY,
        sign_count=7,
        transports=["internal", "hybrid"],
        aaguid=AAGUID,
        backup_eligible=backup_eligible,
        backed_up=backed_up,
    )


def encodings(raw: bytes) -> list[str]:
    """Every way a page could spell these bytes."""
    return [
        "PUBLIC-KEY-OF-THE-TEST",
        raw.hex(),
        base64.b64encode(raw).decode(),
        base64.urlsafe_b64encode(raw).rstrip(b"=").decode(),
        repr(raw)[2:40],
    ]


def cells(page: str, column: str) -> list[str]:
    return re.findall(rf'class="field-{column}">\s*<p>(.*?)</p>', page)


def detail_page(staff_api: ApiClient, patient: User) -> str:
    response = staff_api.client.get(f"/admin/accounts/user/{patient.pk}/change/")
    assert response.status_code == 200
    return str(response.content.decode())


def test_patient_page_shows_passkey_details_without_key_material(
    staff_api: ApiClient, patient: User
) -> None:
    phone = ApiClient()
    phone.sign_in(patient.email)
    app = enroll_and_verify(phone)
    passkey = passkey_row(patient, backup_eligible=True, backed_up=True)
    page = detail_page(staff_api, patient)

    factors = page[page.index("Two-step verification factors") :]
    assert cells(factors, "friendly_name") == ["Authenticator app", "Work laptop"]
    assert cells(factors, "kind") == ["Authenticator app", "Passkey"]
    assert cells(factors, "authenticator") == ["-", AAGUID]
    assert cells(factors, "synced") == ["-", "Yes, backed up"]
    assert passkey.factor.last_used_at is not None
    used = formats.localize(timezone.localtime(passkey.factor.last_used_at))
    assert used in factors
    for secret in (CREDENTIAL_ID, USER_HANDLE, app.secret, "gAAAAA", *encodings(PUBLIC_KEY)):
        assert secret not in page, secret
    assert "sign_count" not in page and "internal" not in factors

    listing = staff_api.client.get("/admin/accounts/user/").content.decode()
    row = next(r for r in listing.split("<tr") if patient.email in r)
    assert 'class="field-verified_factors">2<' in row


@pytest.mark.parametrize(
    ("backup_eligible", "shown"),
    [(False, "No, this device only"), (True, "Can sync, not backed up yet")],
)
def test_a_passkey_not_backed_up_says_so(
    staff_api: ApiClient, patient: User, backup_eligible: bool, shown: str
) -> None:
    passkey_row(patient, backup_eligible=backup_eligible)
    assert shown in detail_page(staff_api, patient)


def test_an_unreported_aaguid_is_said_in_words(staff_api: ApiClient, patient: User) -> None:
    passkey = passkey_row(patient)
    Passkey.objects.filter(pk=passkey.pk).update(aaguid="00000000-0000-0000-0000-000000000000")
    page = detail_page(staff_api, patient)
    assert "Not reported" in page and "00000000-0000" not in page


def test_no_admin_page_edits_a_passkey(staff_api: ApiClient, patient: User) -> None:
    for model in (Factor, Passkey, PasskeyChallenge):
        assert not admin.site.is_registered(model), model
    passkey = passkey_row(patient)
    client, token = staff_api.client, {"csrfmiddlewaretoken": staff_api.csrf}
    for path in (
        "/admin/mfa/",
        "/admin/mfa/passkey/",
        f"/admin/mfa/passkey/{passkey.pk}/change/",
        "/admin/mfa/passkeychallenge/",
        "/admin/mfa/factor/",
    ):
        assert client.get(path).status_code == 404, path
    fields = set(re.findall(r'name="factors-\d+-(\w+)"', detail_page(staff_api, patient)))
    assert fields == {"id", "user"}  # hidden keys only: no field of a factor is a form input

    # The patient form saves only its own fields; a crafted inline is ignored.
    changed = client.post(
        f"/admin/accounts/user/{patient.pk}/change/",
        {
            "email": patient.email,
            "name": patient.name,
            "fhir_user": "",
            "is_active": "on",
            "factors-TOTAL_FORMS": "1",
            "factors-INITIAL_FORMS": "1",
            "factors-0-factor": str(passkey.pk),
            "factors-0-id": str(passkey.pk),
            "factors-0-friendly_name": "Renamed by staff",
            "factors-0-status": "unverified",
            "factors-0-aaguid": "00000000-0000-0000-0000-000000000000",
            "factors-0-public_key": "AAAA",
            **token,
        },
    )
    assert changed.status_code in (200, 302)
    stored = Passkey.objects.select_related("factor").get(pk=passkey.pk)
    assert stored.factor.friendly_name == "Work laptop"
    assert stored.factor.status == Factor.Status.VERIFIED
    assert (stored.aaguid, bytes(stored.public_key)) == (AAGUID, PUBLIC_KEY)


def reset_via_admin(staff_api: ApiClient, patient: User, reason: str) -> str:
    response = staff_api.client.post(
        "/admin/accounts/user/",
        {
            "action": "reset_mfa_action",
            "_selected_action": [str(patient.pk)],
            "apply": "1",
            "reason": reason,
            "csrfmiddlewaretoken": staff_api.csrf,
        },
        follow=True,
    )
    assert response.status_code == 200
    return str(response.content.decode())


def test_staff_reset_removes_the_patients_passkeys(
    staff_api: ApiClient, patient: User, make_patient
) -> None:
    laptop = ApiClient()
    laptop.sign_in(patient.email)
    options = laptop.post("/mfa/passkeys/options", {}).json()["publicKey"]
    key = SoftPasskey(rp_id="localhost", origin="http://localhost:8000")
    added = laptop.post("/mfa/passkeys", {"credential": key.create(options)})
    assert added.status_code == 201, added.content
    other = make_patient("other@example.org")
    kept = passkey_row(other, name="Other patient's key")
    assert Passkey.objects.filter(factor__user=patient).count() == 1

    done = reset_via_admin(staff_api, patient, "Lost laptop; identity checked by phone")

    assert "was reset for 1 patient" in done
    assert not Passkey.objects.filter(factor__user=patient).exists()
    assert not Factor.objects.filter(user=patient).exists()
    assert not RecoveryCode.objects.filter(user=patient).exists()
    assert not PortalSession.objects.filter(user=patient).exists()
    assert Passkey.objects.filter(pk=kept.pk).exists()
    event = SecurityEvent.objects.get(type="staff.mfa_reset", user=patient)
    assert event.detail["factors_removed"] == 1
    page = detail_page(staff_api, patient)
    assert "Passkey" not in page.split("Two-step verification factors")[-1].split("</fieldset>")[0]

    # The removed passkey no longer signs anyone in.
    fresh = ApiClient()
    got = fresh.post("/session/passkey/options").json()["publicKey"]
    refused = fresh.post("/session/passkey", {"credential": key.get(got)})
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "passkey_verification_failed"
