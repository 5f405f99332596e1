"""Who may use "Reset MFA" in the admin (issue 12, item 4): a staff account with no
permissions reset a superuser's factors, then enrolled its own TOTP with the password
alone. The action now needs the "carekey.reset_mfa" permission, a superuser for a staff
account, never one's own account, and a code entered in the last 5 minutes."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.utils import timezone

from carekey.accounts.models import User
from carekey.audit.models import SecurityEvent
from carekey.mfa.models import Factor, RecoveryCode
from tests.conftest import ApiClient
from tests.mfa_helpers import code_now, enroll_and_verify, wrong_code

pytestmark = pytest.mark.django_db
REASON = "Lost phone; identity checked by video call"
CHANGELIST = "/admin/accounts/user/"


def staff_member(
    make_patient: Callable[..., User],
    email: str,
    *,
    superuser: bool = False,
    may_reset: bool = False,
) -> tuple[User, ApiClient, str]:
    """A staff account signed in to the admin at aal2; returns it, its client, its secret."""
    user = make_patient(email, name="Sam Staff")
    user.is_staff, user.is_superuser = True, superuser
    user.save()
    if may_reset:
        permission = Permission.objects.get(content_type__app_label="carekey", codename="reset_mfa")
        user.user_permissions.add(permission)
    api = ApiClient()
    api.sign_in(email)
    secret = enroll_and_verify(api).secret
    return user, api, secret


def with_factor(user: User) -> ApiClient:
    """The account's own signed-in device, with a verified authenticator and 10 codes."""
    device = ApiClient()
    device.sign_in(user.email)
    enroll_and_verify(device)
    return device


def post_reset(api: ApiClient, targets: list[User], code: str | None = None) -> Any:
    """The admin action as the reason page submits it (or as a hand-made POST would)."""
    data: dict[str, Any] = {
        "action": "reset_mfa_action",
        "_selected_action": [str(t.pk) for t in targets],
        "apply": "1",
        "reason": REASON,
        "csrfmiddlewaretoken": api.csrf,
    }
    if code is not None:
        data["code"] = code
    response = api.client.post(CHANGELIST, data, follow=True)
    assert response.status_code == 200
    return response


def page_text(response: Any) -> str:
    body: bytes = response.content
    return html.unescape(body.decode())


def assert_untouched(user: User, device: ApiClient) -> None:
    assert Factor.objects.filter(user=user, status=Factor.Status.VERIFIED).count() == 1
    assert RecoveryCode.objects.filter(user=user).count() == 10
    assert not SecurityEvent.objects.filter(type="staff.mfa_reset", user=user).exists()
    assert device.get("/session").status_code == 200  # still signed in


def assert_reset(user: User, by: User) -> None:
    assert not Factor.objects.filter(user=user).exists()
    assert not RecoveryCode.objects.filter(user=user).exists()
    event = SecurityEvent.objects.get(type="staff.mfa_reset", user=user)
    assert event.detail["staff_id"] == by.pk and event.detail["reason"] == REASON


def six_minutes_later() -> Any:
    """Past the 5-minute window that signing in (with a code) opened."""
    return time_machine.travel(timezone.now() + timedelta(minutes=6), tick=False)


def test_staff_without_the_permission_get_no_reset_action_and_a_post_resets_nothing(
    make_patient, staff, patient
) -> None:
    desk, desk_api, secret = staff_member(make_patient, "plain@clinic.example")
    assert not User.objects.get(pk=desk.pk).has_perm("carekey.reset_mfa")
    listing = desk_api.client.get(CHANGELIST)
    assert listing.status_code == 200 and "reset_mfa_action" not in listing.content.decode()
    boss_phone, patient_phone = with_factor(staff), with_factor(patient)
    for target, device in ((staff, boss_phone), (patient, patient_phone)):
        page = page_text(post_reset(desk_api, [target], code=code_now(secret)))
        assert "was reset for" not in page and 'name="reason"' not in page
        assert_untouched(target, device)


def test_staff_with_the_permission_reset_a_patient_with_their_code(make_patient, patient) -> None:
    desk, desk_api, secret = staff_member(make_patient, "desk2@clinic.example", may_reset=True)
    assert User.objects.get(pk=desk.pk).has_perm("carekey.reset_mfa")
    assert "reset_mfa_action" in desk_api.client.get(CHANGELIST).content.decode()
    patient_phone = with_factor(patient)
    with six_minutes_later():
        page = page_text(post_reset(desk_api, [patient], code=code_now(secret)))
        assert "Two-step verification was reset for 1 patient(s)" in page
        assert patient_phone.get("/session").status_code == 401
    assert_reset(patient, by=desk)


@pytest.mark.parametrize("target_is_superuser", [False, True], ids=["staff", "superuser"])
def test_a_staff_account_can_be_reset_only_by_a_superuser(
    make_patient, staff, staff_api, target_is_superuser: bool
) -> None:
    target, target_phone, _ = staff_member(
        make_patient, "colleague@clinic.example", superuser=target_is_superuser
    )
    _, desk_api, secret = staff_member(make_patient, "desk3@clinic.example", may_reset=True)
    refused = page_text(post_reset(desk_api, [target], code=code_now(secret)))
    assert "only a superuser can reset its two-step verification" in refused
    assert "was reset for" not in refused
    assert_untouched(target, target_phone)

    done = page_text(post_reset(staff_api, [target]))  # staff is a superuser, code fresh
    assert "Two-step verification was reset for 1 patient(s)" in done
    assert_reset(target, by=staff)


@pytest.mark.parametrize("who", ["superuser", "staff with the permission"])
def test_nobody_resets_their_own_factors(make_patient, staff, staff_api, who: str) -> None:
    if who == "superuser":
        actor, api = staff, staff_api
    else:
        actor, api, _ = staff_member(make_patient, "desk4@clinic.example", may_reset=True)
    page = page_text(post_reset(api, [actor]))
    assert "You cannot reset your own two-step verification" in page
    assert Factor.objects.filter(user=actor, status=Factor.Status.VERIFIED).count() == 1
    assert RecoveryCode.objects.filter(user=actor).count() == 10
    assert not SecurityEvent.objects.filter(type="staff.mfa_reset").exists()
    assert api.client.get(CHANGELIST).status_code == 200  # still signed in at aal2


def code_error(page: str) -> str:
    """The error shown above the code field, tied to the input for screen readers."""
    assert 'aria-describedby="id_code_helptext id_code_error"' in page
    found = re.search(r'<p class="errornote" id="id_code_error">(.*?)</p>', page, flags=re.S)
    assert found, page[:2000]
    return found.group(1)


def test_the_reset_needs_a_fresh_code_and_a_wrong_one_resets_nothing(make_patient, patient) -> None:
    _, desk_api, secret = staff_member(make_patient, "desk5@clinic.example", may_reset=True)
    patient_phone = with_factor(patient)
    with six_minutes_later():
        missing = page_text(post_reset(desk_api, [patient]))
        assert "Enter a code from your authenticator app" in code_error(missing)
        wrong = page_text(post_reset(desk_api, [patient], code=wrong_code(secret)))
        assert "That code didn't work" in code_error(wrong)
        assert REASON in wrong  # the reason is kept for the next try
    assert_untouched(patient, patient_phone)
    assert SecurityEvent.objects.filter(type="mfa.challenge.failed").exists()


def test_wrong_codes_in_the_reset_form_are_throttled_like_any_other(make_patient, patient) -> None:
    _, desk_api, secret = staff_member(make_patient, "desk6@clinic.example", may_reset=True)
    patient_phone = with_factor(patient)
    with six_minutes_later():
        for _ in range(5):
            post_reset(desk_api, [patient], code=wrong_code(secret))
        throttled = page_text(post_reset(desk_api, [patient], code=code_now(secret)))
        assert "Too many attempts" in code_error(throttled)
    assert_untouched(patient, patient_phone)
