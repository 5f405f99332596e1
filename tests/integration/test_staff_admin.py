"""The staff admin behind TOTP, "Reset MFA", the read-only audit trail (CONTRACT §5)."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.management import CommandError, call_command
from django.utils import timezone

from carekey.accounts.models import PortalSession, User
from carekey.audit.models import SecurityEvent
from carekey.mfa.models import Factor, RecoveryCode
from tests.conftest import ApiClient
from tests.mfa_helpers import code_now, enroll_and_verify

pytestmark = pytest.mark.django_db
ADMIN_PAGES = [
    "/admin/",
    "/admin/accounts/user/",
    "/admin/audit/securityevent/",
    "/admin/policy/securitypolicy/",
    "/admin/mfa/",
]


def test_password_only_staff_sees_no_admin_page_until_totp(staff) -> None:
    api = ApiClient()
    api.sign_in(staff.email)
    for path in ADMIN_PAGES:
        response = api.client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/portal/security?next="), path
    enrolled = enroll_and_verify(api)
    assert api.client.get("/admin/").status_code == 200
    assert api.client.get("/admin/accounts/user/").status_code == 200

    later = ApiClient()  # a new password-only session of the same staff member
    later.sign_in(staff.email)
    for path in ADMIN_PAGES:
        assert later.client.get(path)["Location"].startswith("/portal/signin/verify?next=")
    with time_machine.travel(timezone.now() + timedelta(seconds=30), tick=False):
        later.post("/session/verify", {"code": code_now(enrolled.secret)})
    assert later.client.get("/admin/").status_code == 200


def test_admin_login_page_sends_staff_to_the_portal_sign_in(page_client) -> None:
    response = page_client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/portal/signin?next=")


def test_patients_get_no_admin(signed_in_api) -> None:
    enroll_and_verify(signed_in_api)
    response = signed_in_api.client.get("/admin/", follow=True)
    assert response.status_code == 403
    assert "Staff only" in response.content.decode()


def test_patient_list_shows_mfa_status_without_secrets(staff_api, patient) -> None:
    api = ApiClient()
    api.sign_in(patient.email)
    enrolled = enroll_and_verify(api)
    listing = staff_api.client.get("/admin/accounts/user/").content.decode()
    assert "Verified factors" in listing and "Recovery codes left" in listing
    detail = staff_api.client.get(f"/admin/accounts/user/{patient.pk}/change/").content.decode()
    assert "Authenticator app" in detail
    assert enrolled.secret not in detail and "gAAAAA" not in detail


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
    return response.content.decode()


def test_reset_mfa_asks_for_a_reason_first(staff_api, patient) -> None:
    page = staff_api.client.post(
        "/admin/accounts/user/",
        {
            "action": "reset_mfa_action",
            "_selected_action": [str(patient.pk)],
            "csrfmiddlewaretoken": staff_api.csrf,
        },
    ).content.decode()
    assert "<h1>Reset MFA</h1>" in page and '<label for="id_reason">Reason</label>' in page
    assert not SecurityEvent.objects.filter(type="staff.mfa_reset").exists()


@pytest.mark.parametrize("how", ["admin", "cli", "cli --staff"])
def test_reset_removes_factors_and_codes_and_ends_every_session(
    how: str, staff_api, staff, patient
) -> None:
    phone, laptop = ApiClient(), ApiClient()
    phone.sign_in(patient.email)
    enroll_and_verify(phone)
    laptop.sign_in(patient.email)
    mail.outbox.clear()
    reason = "Lost phone; identity checked with date of birth and address"
    if how == "admin":
        assert "was reset for 1 patient" in reset_via_admin(staff_api, patient, reason)
    else:
        out = io.StringIO()
        who = ["--staff", staff.email] if how == "cli --staff" else []
        call_command("resetmfa", patient.email, "--reason", reason, *who, stdout=out)
        assert "1 factor(s) removed" in out.getvalue()
    assert not Factor.objects.filter(user=patient).exists()
    assert not RecoveryCode.objects.filter(user=patient).exists()
    assert not PortalSession.objects.filter(user=patient).exists()
    for client in (phone, laptop):
        assert client.get("/session").status_code == 401
        assert client.client.get("/portal/")["Location"].startswith("/portal/signin")
    event = SecurityEvent.objects.get(type="staff.mfa_reset", user=patient)
    assert event.detail["reason"] == reason
    if how == "cli":
        assert event.detail["staff_email"].startswith(
            "carekey resetmfa (command line, operating-system user "
        )
    if how in ("admin", "cli --staff"):
        assert event.detail["staff_email"] == staff.email
        assert event.detail["staff_id"] == staff.pk
    assert [m.to for m in mail.outbox] == [[patient.email]]
    assert "Reason given: " + reason in mail.outbox[0].body


def test_resetmfa_needs_a_known_email_and_a_reason(patient) -> None:
    with pytest.raises(CommandError, match="No patient"):
        call_command("resetmfa", "nobody@example.org", "--reason", "x")
    with pytest.raises(CommandError, match="No active staff member"):
        call_command("resetmfa", patient.email, "--reason", "x", "--staff", patient.email)
    with pytest.raises(CommandError, match="reason"):
        call_command("resetmfa", patient.email, "--reason", "   ")


def test_no_staff_can_add_change_or_delete_audit_events(staff_api, patient) -> None:
    event = SecurityEvent.objects.filter(type="signin.succeeded").first()
    assert event is not None
    base = "/admin/audit/securityevent/"
    client = staff_api.client
    token = {"csrfmiddlewaretoken": staff_api.csrf}
    listing = client.get(base).content.decode()
    assert "delete_selected" not in listing and "Export selected events to CSV" in listing
    assert client.get(f"{base}add/").status_code == 403
    assert client.post(f"{base}add/", {"type": "signin.failed", **token}).status_code == 403
    assert client.get(f"{base}{event.pk}/delete/").status_code == 403
    assert client.post(f"{base}{event.pk}/delete/", {"post": "yes", **token}).status_code == 403
    view = client.get(f"{base}{event.pk}/change/")
    assert view.status_code == 200 and 'type="submit" value="Save"' not in view.content.decode()
    changed = client.post(f"{base}{event.pk}/change/", {"type": "signin.failed", **token})
    assert changed.status_code == 403
    bulk = client.post(
        base,
        {"action": "delete_selected", "_selected_action": [str(event.pk)], **token},
        follow=True,
    )
    assert bulk.status_code == 200
    assert SecurityEvent.objects.filter(pk=event.pk, type="signin.succeeded").exists()


def test_audit_trail_filters_and_exports_csv(staff_api, patient) -> None:
    ApiClient().sign_in(patient.email)
    client = staff_api.client
    page = client.get(f"/admin/audit/securityevent/?patient={patient.pk}").content.decode()
    assert patient.email in page and "desk@clinic.example" not in page.split("<table")[-1]
    by_type = client.get("/admin/audit/securityevent/?type__exact=signin.succeeded")
    assert by_type.status_code == 200
    ids = list(SecurityEvent.objects.filter(user=patient).values_list("pk", flat=True))
    export = client.post(
        "/admin/audit/securityevent/",
        {
            "action": "export_csv",
            "_selected_action": [str(i) for i in ids],
            "csrfmiddlewaretoken": staff_api.csrf,
        },
    )
    assert export["Content-Type"].startswith("text/csv")
    lines = export.content.decode().splitlines()
    assert lines[0] == "id,time,type,patient,ip,user_agent,detail"
    assert len(lines) == len(ids) + 1 and "signin.succeeded" in lines[1]


def test_policy_page_offers_the_three_settings(staff_api) -> None:
    page = staff_api.client.get("/admin/policy/securitypolicy/", follow=True).content.decode()
    for label in ("Require MFA for all patients", "Maximum app lock minutes", "Require app lock"):
        assert label in page
