"""Passwords in the staff admin (CONTRACT §7): staff see when a patient's password last
changed, never the password or its hash, cannot set one, and can send the same reset link
the patient would ask for, under the same three-an-hour limit.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from carekey.accounts.models import User
from carekey.audit.models import SecurityEvent
from tests.conftest import PASSWORD, ApiClient
from tests.integration.test_password_reset import NEW, emailed_link, set_in_api
from tests.page_helpers import elements, section, text_of

pytestmark = pytest.mark.django_db

ACTION = "send_password_reset_link"


def change_page(staff_api: ApiClient, patient: User) -> str:
    response = staff_api.client.get(f"/admin/accounts/user/{patient.pk}/change/")
    assert response.status_code == 200
    return response.content.decode()


def send_link(staff_api: ApiClient, *patients: User) -> str:
    response = staff_api.client.post(
        "/admin/accounts/user/",
        {
            "action": ACTION,
            "_selected_action": [str(p.pk) for p in patients],
            "csrfmiddlewaretoken": staff_api.csrf,
        },
        follow=True,
    )
    assert response.status_code == 200
    return text_of(response.content.decode())


def readonly_value(html: str, label: str) -> str:
    """The value next to a read-only field's label on an admin change form."""
    match = re.search(
        rf"<label>{re.escape(label)}:</label>\s*<div class=\"readonly\">(.*?)</div>", html, re.S
    )
    assert match, f"no read-only field {label!r}"
    return text_of(match.group(1))


# What staff see --------------------------------------------------------------------------


def test_change_page_shows_when_the_password_was_set(staff_api: ApiClient, patient: User) -> None:
    html = change_page(staff_api, patient)
    assert readonly_value(html, "Password last changed") == (
        f"Not changed since the account was created ({patient.date_joined:%Y-%m-%d})"
    )


def test_change_page_shows_when_the_password_last_changed(
    staff_api: ApiClient, patient: User
) -> None:
    own = ApiClient()
    own.sign_in(patient.email)
    body = {"current_password": PASSWORD, "new_password": NEW}
    assert own.post("/session/password", body).status_code == 204
    patient.refresh_from_db()
    assert patient.password_changed_at is not None
    html = change_page(staff_api, patient)
    assert readonly_value(html, "Password last changed") == (
        f"{patient.password_changed_at:%Y-%m-%d %H:%M} UTC"
    )


def test_change_page_has_no_password_field_and_no_hash(staff_api: ApiClient, patient: User) -> None:
    html = change_page(staff_api, patient)
    names = {a.get("name", "") for tag, a, _t in elements(html) if tag in ("input", "textarea")}
    assert not any("password" in name for name in names), names
    assert patient.password not in html
    hash_parts = patient.password.split("$")
    assert hash_parts[0] not in html  # the algorithm's name, e.g. argon2
    assert all(part not in html for part in hash_parts[-2:])  # salt and hash
    assert "/password/" not in html  # Django's "change password" form is not linked


def test_django_admin_password_form_is_not_there(staff_api: ApiClient, patient: User) -> None:
    url = f"/admin/accounts/user/{patient.pk}/password/"
    response = staff_api.client.post(
        url,
        {"password1": NEW, "password2": NEW, "csrfmiddlewaretoken": staff_api.csrf},
    )
    assert response.status_code in (302, 403, 404)
    patient.refresh_from_db()
    assert patient.check_password(PASSWORD)


def test_posting_a_password_field_changes_nothing(staff_api: ApiClient, patient: User) -> None:
    stored = patient.password
    response = staff_api.client.post(
        f"/admin/accounts/user/{patient.pk}/change/",
        {
            "email": patient.email,
            "name": "Ana Renamed",
            "fhir_user": "",
            "is_active": "on",
            "password": NEW,
            "password_changed_at": "2020-01-01 00:00:00",
            "factors-TOTAL_FORMS": "0",
            "factors-INITIAL_FORMS": "0",
            "csrfmiddlewaretoken": staff_api.csrf,
        },
    )
    assert response.status_code == 302  # saved: the form was accepted
    patient.refresh_from_db()
    assert patient.name == "Ana Renamed"
    assert patient.password == stored
    assert patient.check_password(PASSWORD) and not patient.check_password(NEW)
    assert patient.password_changed_at is None


# "Send a password reset link" ------------------------------------------------------------


def test_the_action_is_offered_on_the_patient_list(staff_api: ApiClient, patient: User) -> None:
    html = staff_api.client.get("/admin/accounts/user/").content.decode()
    assert f'<option value="{ACTION}">Send a password reset link</option>' in html


def test_the_action_sends_the_same_email_the_patient_would_get(
    staff_api: ApiClient, patient: User, settings: Any
) -> None:
    settings.CAREKEY_PASSWORD_RESET_ANSWER_SECONDS = 0
    mail.outbox.clear()
    with time_machine.travel(timezone.now(), tick=False):
        said = send_link(staff_api, patient)
        ApiClient().post("/password/reset", {"email": patient.email})
    assert "Sent a password reset link to 1 patient(s)." in said
    by_staff, own = mail.outbox
    assert by_staff.subject == own.subject == "Reset your password"
    assert by_staff.to == own.to == ["ana@example.org"]
    (staff_link, staff_token), (own_link, own_token) = emailed_link(by_staff), emailed_link(own)
    assert staff_token != own_token
    assert str(by_staff.body).replace(staff_link, "LINK") == str(own.body).replace(own_link, "LINK")
    staff_html, own_html = (m.alternatives[0][0] for m in (by_staff, own))  # type: ignore[attr-defined]
    assert str(staff_html).replace(staff_link, "LINK") == str(own_html).replace(own_link, "LINK")


def test_the_staff_link_resets_the_password(staff_api: ApiClient, patient: User) -> None:
    send_link(staff_api, patient)
    _link, token = emailed_link()
    assert set_in_api(token).status_code == 204
    patient.refresh_from_db()
    assert patient.check_password(NEW)


def test_staff_never_learn_the_link(staff_api: ApiClient, patient: User) -> None:
    response = staff_api.client.post(
        "/admin/accounts/user/",
        {
            "action": ACTION,
            "_selected_action": [str(patient.pk)],
            "csrfmiddlewaretoken": staff_api.csrf,
        },
        follow=True,
    )
    _link, token = emailed_link()
    assert token not in response.content.decode()
    event = SecurityEvent.objects.get(type="staff.password_reset_link")
    assert token not in str(event.detail)


def test_the_action_is_recorded_with_the_staff_member(
    staff_api: ApiClient, staff: User, patient: User
) -> None:
    send_link(staff_api, patient)
    event = SecurityEvent.objects.get(type="staff.password_reset_link")
    assert event.user == patient
    assert event.detail["staff_email"] == staff.email
    assert event.detail["staff_id"] == staff.pk


def test_the_patients_activity_does_not_name_the_staff_member(
    staff_api: ApiClient, staff: User, patient: User
) -> None:
    send_link(staff_api, patient)
    own = ApiClient()
    own.sign_in(patient.email)
    activity = section(own.client.get("/portal/security").content.decode(), "activity-heading")
    assert "The support desk sent you a password reset link" in text_of(activity)
    body = own.get("/security-events").content.decode()
    event = next(
        e for e in own.get("/security-events").json()["events"]
        if e["type"] == "staff.password_reset_link"
    )  # fmt: skip
    assert event["ip"] is None and event["user_agent"] == ""
    for shown in (activity, body):
        assert staff.email not in shown
        assert "Dana" not in shown and "staff_id" not in shown


def test_inactive_patients_get_no_link(staff_api: ApiClient, patient: User) -> None:
    patient.is_active = False
    patient.save()
    mail.outbox.clear()
    said = send_link(staff_api, patient)
    assert mail.outbox == []
    assert "Sent a password reset link" not in said
    assert not SecurityEvent.objects.filter(type="staff.password_reset_link").exists()


def test_over_the_hourly_limit_the_admin_says_it_was_not_sent(
    staff_api: ApiClient, patient: User
) -> None:
    with time_machine.travel(timezone.now(), tick=False):
        for _ in range(3):
            assert "Sent a password reset link to 1 patient(s)." in send_link(staff_api, patient)
        mail.outbox.clear()
        said = send_link(staff_api, patient)
    assert "Not sent, three links already went out in the last hour: ana@example.org" in said
    assert "Sent a password reset link" not in said
    assert mail.outbox == []


def test_the_patients_own_requests_count_toward_the_staff_limit(
    staff_api: ApiClient, patient: User, settings: Any
) -> None:
    settings.CAREKEY_PASSWORD_RESET_ANSWER_SECONDS = 0
    with time_machine.travel(timezone.now(), tick=False):
        for _ in range(3):
            ApiClient().post("/password/reset", {"email": patient.email})
        mail.outbox.clear()
        said = send_link(staff_api, patient)
    assert "Not sent" in said and mail.outbox == []


def test_a_held_patient_does_not_hold_the_others(
    staff_api: ApiClient, patient: User, make_patient: Any
) -> None:
    ben = make_patient("ben@example.org")
    with time_machine.travel(timezone.now(), tick=False):
        for _ in range(3):
            send_link(staff_api, patient)
        mail.outbox.clear()
        said = send_link(staff_api, patient, ben)
        assert "Sent a password reset link to 1 patient(s)." in said
        assert "Not sent, three links already went out in the last hour: ana@example.org" in said
        assert [m.to for m in mail.outbox] == [["ben@example.org"]]
