"""Changing the password while signed in, on the Security page and in the API (CONTRACT §7).

Success rotates this session's id and keeps it signed in, ends every other session and
app token, kills older reset links, stamps when, emails and audits. A wrong current
password counts in the password throttle; a weak new one is refused first, for free.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.test import Client
from django.utils import timezone
from oauth2_provider.models import AccessToken, Application, RefreshToken

from carekey.accounts import app_tokens
from carekey.accounts.models import PasswordResetLink, User
from carekey.applock.models import AppLockPreference
from carekey.audit.models import SecurityEvent
from tests.conftest import PASSWORD, ApiClient
from tests.integration.test_api_session import assert_error
from tests.mfa_helpers import enroll_and_verify
from tests.page_helpers import elements, section, sign_in_page, text_of

pytestmark = pytest.mark.django_db

NEW = "purple-lantern-orbit-42"
CHANGE_PAGE = "/portal/security/password"
FREE_FAILURES = 5


def change(api: ApiClient, current: str = PASSWORD, new: str = NEW) -> Any:
    return api.post("/session/password", {"current_password": current, "new_password": new})


def change_on_page(
    client: Client, current: str = PASSWORD, new: str = NEW, again: Any = None
) -> Any:
    return client.post(
        CHANGE_PAGE,
        {
            "current_password": current,
            "new_password": new,
            "confirm_password": new if again is None else again,
        },
    )


def field_errors(html: str) -> dict[str, str]:
    """The sentence under each field, keyed by the field's name."""
    found = {}
    for _tag, attrs, text in elements(html):
        match = re.fullmatch(r"id_(\w+)_error", attrs.get("id", ""))
        if match and "field-error" in attrs.get("class", ""):
            found[match.group(1)] = text
    return found


def connect_an_app(user: User) -> tuple[AccessToken, RefreshToken]:
    """An app the patient signed in to: a live access token and its refresh token."""
    app = Application.objects.create(
        name="Clinic app",
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris="https://app.example.org/cb",
        algorithm=Application.RS256_ALGORITHM,
    )
    access = AccessToken.objects.create(
        user=user,
        application=app,
        token=f"access-of-{user.pk}-" + "a" * 30,
        expires=timezone.now() + timedelta(minutes=10),
        scope="openid",
    )
    refresh = RefreshToken.objects.create(
        user=user, application=app, token=f"refresh-of-{user.pk}-" + "r" * 30, access_token=access
    )
    return access, refresh


def unchanged(user: User) -> bool:
    """The stored password is still PASSWORD and no change was stamped."""
    user.refresh_from_db()
    return user.check_password(PASSWORD) and user.password_changed_at is None


def events(user: User, event_type: str) -> int:
    return SecurityEvent.objects.filter(user=user, type=event_type).count()


# The page --------------------------------------------------------------------------------


def test_change_page_asks_for_current_new_and_confirmation(signed_in_page: Client) -> None:
    html = signed_in_page.get(CHANGE_PAGE).content.decode()
    labels = {
        a["for"]: t
        for tag, a, t in elements(html)
        if tag == "label" and a.get("for", "").startswith("id_")
    }
    assert labels == {
        "id_current_password": "Current password",
        "id_new_password": "New password",
        "id_confirm_password": "Confirm new password",
    }
    inputs = {a["name"]: a["type"] for tag, a, _t in elements(html) if tag == "input"}
    assert inputs["current_password"] == inputs["new_password"] == "password"
    assert inputs["confirm_password"] == "password"
    form = re.search(rf'<form method="post" action="{CHANGE_PAGE}".*?</form>', html, re.S)
    assert form, "no form posting to the change page"
    buttons = [t for tag, _a, t in elements(form.group(0)) if tag == "button"]
    assert buttons == ["Change password"]


def test_security_page_links_to_change_password(signed_in_page: Client) -> None:
    html = signed_in_page.get("/portal/security").content.decode()
    password = section(html, "password-heading")
    assert f'action="{CHANGE_PAGE}"' in password
    assert "Change password" in text_of(password)


def test_change_page_needs_a_signed_in_session(page_client: Client) -> None:
    response = page_client.get(CHANGE_PAGE)
    assert response.status_code == 302
    assert response["Location"].startswith("/portal/signin")


def test_page_change_returns_to_the_security_page_and_says_so(
    signed_in_page: Client, patient: User
) -> None:
    response = change_on_page(signed_in_page)
    assert response.status_code == 302
    assert response["Location"] == "/portal/security"
    html = signed_in_page.get("/portal/security").content.decode()
    assert "Your password is changed." in html
    patient.refresh_from_db()
    assert patient.check_password(NEW)


def test_page_change_says_other_devices_were_signed_out_when_there_were_some(
    signed_in_page: Client, patient: User
) -> None:
    sign_in_page(Client(), patient.email)
    change_on_page(signed_in_page)
    html = signed_in_page.get("/portal/security").content.decode()
    assert "Your password is changed. Your other devices were signed out." in html


def test_page_change_rotates_the_session_cookie_and_stays_signed_in(
    signed_in_page: Client,
) -> None:
    before = signed_in_page.cookies["carekey_session"].value
    change_on_page(signed_in_page)
    assert signed_in_page.cookies["carekey_session"].value != before
    assert signed_in_page.get("/portal/security").status_code == 200


def test_page_wrong_current_password_is_said_on_the_current_password_field(
    signed_in_page: Client, patient: User
) -> None:
    response = change_on_page(signed_in_page, current="not-my-password-at-all")
    assert response.status_code == 400
    errors = field_errors(response.content.decode())
    assert errors == {"current_password": "Your current password is not correct."}
    assert unchanged(patient)


SHORT = "Tiny-pw1"
TEN_THOUSAND = ("correct horse battery staple " * 400)[:10_000]


@pytest.mark.parametrize(
    ("current", "new", "again", "field", "sentence"),
    [
        pytest.param(
            PASSWORD,
            NEW,
            NEW + "x",
            "confirm_password",
            "The two new passwords are not the same. Type them again.",
            id="mismatched-confirmation",
        ),
        pytest.param(
            PASSWORD,
            SHORT,
            None,
            "new_password",
            "This password is too short. It must contain at least 10 characters.",
            id="too-short",
        ),
        pytest.param(
            PASSWORD,
            "password1234",
            None,
            "new_password",
            "This password is too common.",
            id="common",
        ),
        pytest.param(
            PASSWORD,
            "80451273906512",
            None,
            "new_password",
            "This password is entirely numeric.",
            id="only-numbers",
        ),
        pytest.param(
            PASSWORD,
            "ana@example.org",
            None,
            "new_password",
            "The password is too similar to the email.",
            id="the-email",
        ),
        pytest.param(
            PASSWORD,
            TEN_THOUSAND,
            None,
            "new_password",
            "Use at most 1024 characters for your password.",
            id="new-of-10000-characters",
        ),
        pytest.param(
            TEN_THOUSAND,
            NEW,
            None,
            "current_password",
            "Your current password is not correct.",
            id="current-of-10000-characters",
        ),
        pytest.param(
            PASSWORD + "\x00",
            NEW,
            None,
            "current_password",
            "Null characters are not allowed.",
            id="nul-in-current",
        ),
        pytest.param(
            PASSWORD,
            NEW + "\x00",
            NEW + "\x00",
            "new_password",
            "Null characters are not allowed.",
            id="nul-in-new",
        ),
        pytest.param(
            PASSWORD,
            NEW,
            NEW + "\x00",
            "confirm_password",
            "Null characters are not allowed.",
            id="nul-in-confirmation",
        ),
        pytest.param(
            PASSWORD,
            PASSWORD,
            None,
            "new_password",
            "Choose a new password that is different from your current one.",
            id="same-as-current",
        ),
    ],
)
def test_page_bad_input_is_a_sentence_on_its_field_and_changes_nothing(
    signed_in_page: Client,
    patient: User,
    current: str,
    new: str,
    again: str | None,
    field: str,
    sentence: str,
) -> None:
    mail.outbox.clear()
    response = change_on_page(signed_in_page, current, new, again)
    assert response.status_code == 400
    html = response.content.decode()
    assert field_errors(html).get(field) == sentence
    assert "There is a problem" in html
    assert unchanged(patient)
    assert mail.outbox == []
    assert events(patient, "password.changed") == 0
    assert signed_in_page.get("/portal/security").status_code == 200


def test_page_wrong_current_passwords_are_throttled_with_retry_after(
    signed_in_page: Client, patient: User
) -> None:
    for _ in range(FREE_FAILURES):
        assert change_on_page(signed_in_page, current="not-my-password").status_code == 400
    refused = change_on_page(signed_in_page)
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert "Too many attempts. Try again in" in refused.content.decode()
    assert unchanged(patient)


# The API ---------------------------------------------------------------------------------


def test_api_change_answers_204_and_the_new_password_signs_in(
    signed_in_api: ApiClient, patient: User
) -> None:
    response = change(signed_in_api)
    assert response.status_code == 204
    assert response.content == b""
    fresh = ApiClient()
    assert_error(
        fresh.post("/session", {"email": patient.email, "password": PASSWORD}),
        401,
        "invalid_credentials",
    )
    fresh.sign_in(patient.email, NEW)


def test_api_change_rotates_the_session_cookie_and_stays_signed_in(
    signed_in_api: ApiClient,
) -> None:
    before = signed_in_api.client.cookies["carekey_session"].value
    change(signed_in_api)
    after = signed_in_api.client.cookies["carekey_session"].value
    assert after != before
    session = signed_in_api.get("/session")
    assert session.status_code == 200
    assert session.json()["user"]["email"] == "ana@example.org"
    assert signed_in_api.get("/mfa/factors").status_code == 200


def test_the_old_session_cookie_no_longer_signs_in(signed_in_api: ApiClient) -> None:
    before = signed_in_api.client.cookies["carekey_session"].value
    change(signed_in_api)
    replay = Client()
    replay.cookies["carekey_session"] = before
    assert_error(replay.get("/api/v1/session"), 401, "not_authenticated")


def test_api_wrong_current_password_is_401_and_changes_nothing(
    signed_in_api: ApiClient, patient: User
) -> None:
    response = change(signed_in_api, current="not-my-password-at-all")
    assert_error(response, 401, "invalid_credentials")
    assert response.json()["error"]["message"] == "Your current password is not correct."
    assert unchanged(patient)
    assert signed_in_api.get("/session").status_code == 200


@pytest.mark.parametrize(
    ("new", "reason"),
    [
        pytest.param(SHORT, "This password is too short.", id="too-short"),
        pytest.param("password1234", "This password is too common.", id="common"),
        pytest.param("80451273906512", "This password is entirely numeric.", id="only-numbers"),
        pytest.param(
            "ana@example.org", "The password is too similar to the email.", id="the-email"
        ),
        pytest.param(
            PASSWORD,
            "Choose a new password that is different from your current one.",
            id="same-as-current",
        ),
        pytest.param(NEW + "\x00", "A password cannot contain a null character.", id="nul-in-new"),
        pytest.param("", "Enter a new password.", id="empty"),
    ],
)
def test_api_weak_new_password_is_422_weak_password_saying_why(
    signed_in_api: ApiClient, patient: User, new: str, reason: str
) -> None:
    response = change(signed_in_api, new=new)
    assert_error(response, 422, "weak_password")
    assert reason in response.json()["error"]["message"]
    assert unchanged(patient)


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        pytest.param(
            {"current_password": PASSWORD, "new_password": TEN_THOUSAND},
            422,
            "validation_error",
            id="new-of-10000-characters",
        ),
        pytest.param(
            {"current_password": TEN_THOUSAND, "new_password": NEW},
            422,
            "validation_error",
            id="current-of-10000-characters",
        ),
        pytest.param(
            {"current_password": PASSWORD + "\x00", "new_password": NEW},
            401,
            "invalid_credentials",
            id="nul-in-current",
        ),
        pytest.param({"new_password": NEW}, 422, "validation_error", id="no-current"),
        pytest.param({"current_password": PASSWORD}, 422, "validation_error", id="no-new"),
        pytest.param(
            {"current_password": PASSWORD, "new_password": NEW, "confirm": NEW},
            422,
            "validation_error",
            id="unknown-field",
        ),
        pytest.param(
            {"current_password": PASSWORD, "new_password": 12345678901},
            422,
            "validation_error",
            id="number-not-string",
        ),
        pytest.param(["not", "an", "object"], 422, "validation_error", id="not-an-object"),
    ],
)
def test_api_bad_input_is_a_sentence_and_changes_nothing(
    signed_in_api: ApiClient, patient: User, body: Any, status: int, code: str
) -> None:
    assert_error(signed_in_api.post("/session/password", body), status, code)
    assert unchanged(patient)


def test_api_change_needs_a_signed_in_session(api: ApiClient, patient: User) -> None:
    assert_error(change(api), 401, "not_authenticated")
    assert unchanged(patient)


def test_api_password_only_session_of_a_patient_with_a_factor_is_insufficient_aal(
    patient: User,
) -> None:
    setup = ApiClient()
    setup.sign_in(patient.email)
    enroll_and_verify(setup)
    api = ApiClient()
    body = api.sign_in(patient.email).json()
    assert (body["aal"], body["next_level"]) == ("aal1", "aal2")
    assert_error(change(api), 403, "insufficient_aal")
    assert unchanged(patient)


def test_page_password_only_session_of_a_patient_with_a_factor_goes_to_verify(
    patient: User,
) -> None:
    setup = ApiClient()
    setup.sign_in(patient.email)
    enroll_and_verify(setup)
    client = Client()
    sign_in_page(client, patient.email)
    response = change_on_page(client)
    assert response.status_code == 302
    assert response["Location"].startswith("/portal/signin/verify")
    assert unchanged(patient)


def test_api_change_on_a_locked_session_is_423(signed_in_api: ApiClient, patient: User) -> None:
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        AppLockPreference.objects.create(user=patient, enabled=True, timeout_minutes=1)
        traveller.shift(timedelta(minutes=2))
        assert_error(change(signed_in_api), 423, "session_locked")
    assert unchanged(patient)


def test_page_change_on_a_locked_session_goes_to_the_lock_screen(
    signed_in_page: Client, patient: User
) -> None:
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        AppLockPreference.objects.create(user=patient, enabled=True, timeout_minutes=1)
        traveller.shift(timedelta(minutes=2))
        response = change_on_page(signed_in_page)
    assert response.status_code == 302
    assert response["Location"].startswith("/portal/locked?next=")
    assert unchanged(patient)


# What a change ends, records and sends ---------------------------------------------------


def test_change_signs_out_every_other_session_of_the_patient(
    signed_in_api: ApiClient, patient: User
) -> None:
    phone = ApiClient()
    phone.sign_in(patient.email)
    laptop = Client()
    sign_in_page(laptop, patient.email)
    assert change(signed_in_api).status_code == 204
    assert_error(phone.get("/session"), 401, "not_authenticated")
    response = laptop.get("/portal/security")
    assert response.status_code == 302
    assert response["Location"].startswith("/portal/signin")
    assert signed_in_api.get("/session").status_code == 200


def test_change_leaves_other_patients_signed_in(
    signed_in_api: ApiClient, make_patient: Any
) -> None:
    other = make_patient("ben@example.org")
    theirs = ApiClient()
    theirs.sign_in(other.email)
    change(signed_in_api)
    assert theirs.get("/session").status_code == 200


def test_change_revokes_the_patients_app_tokens(signed_in_api: ApiClient, patient: User) -> None:
    access, refresh = connect_an_app(patient)
    assert app_tokens.connected(patient)
    change(signed_in_api)
    assert not AccessToken.objects.filter(pk=access.pk).exists()
    refresh.refresh_from_db()
    assert refresh.revoked is not None
    assert app_tokens.connected(patient) == []
    revoked = SecurityEvent.objects.get(user=patient, type="oidc.token.revoked")
    assert revoked.detail["count"] >= 1


def test_change_is_audited_as_password_changed(signed_in_api: ApiClient, patient: User) -> None:
    ApiClient().sign_in(patient.email)
    change(signed_in_api)
    event = SecurityEvent.objects.get(user=patient, type="password.changed")
    assert event.detail.get("sessions_ended") == 1
    assert PASSWORD not in str(event.detail) and NEW not in str(event.detail)


def test_change_sends_one_email_in_text_and_html(signed_in_api: ApiClient, patient: User) -> None:
    mail.outbox.clear()
    change(signed_in_api)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.subject == "Your password was changed"
    assert message.to == ["ana@example.org"]
    assert "The password of your account was changed." in str(message.body)
    assert isinstance(message, EmailMultiAlternatives)
    html = [content for content, kind in message.alternatives if kind == "text/html"]
    assert len(html) == 1 and "The password of your account was changed." in str(html[0])


def test_change_stamps_when_and_the_security_page_shows_it(
    patient: User,
) -> None:
    moment = datetime(2026, 1, 14, 9, 30, tzinfo=UTC)
    client = Client()
    with time_machine.travel(moment - timedelta(minutes=5), tick=False) as traveller:
        sign_in_page(client, patient.email)
        before = text_of(
            section(client.get("/portal/security").content.decode(), "password-heading")
        )
        assert "Set when your account was created:" in before
        assert "Last changed:" not in before
        traveller.move_to(moment)
        change_on_page(client)
        after = text_of(
            section(client.get("/portal/security").content.decode(), "password-heading")
        )
    patient.refresh_from_db()
    assert patient.password_changed_at == moment
    assert "Last changed: 14 Jan 2026, 09:30 UTC" in after


def test_reset_links_made_before_the_change_no_longer_work(
    signed_in_api: ApiClient, patient: User
) -> None:
    ApiClient().post("/password/reset", {"email": patient.email})
    link = re.search(r"/portal/password/reset/[\w-]+", str(mail.outbox[-1].body))
    assert link and PasswordResetLink.objects.filter(user=patient).exists()
    assert Client().get(link.group(0)).status_code == 200
    change(signed_in_api)
    refused = Client().get(link.group(0))
    assert refused.status_code == 400
    assert "This link has expired or was already used." in refused.content.decode()


# The throttle ----------------------------------------------------------------------------


def test_wrong_current_passwords_count_so_even_the_right_one_is_then_refused(
    signed_in_api: ApiClient, patient: User
) -> None:
    for _ in range(FREE_FAILURES):
        assert_error(change(signed_in_api, current="not-my-password"), 401, "invalid_credentials")
    refused = change(signed_in_api)
    assert_error(refused, 429, "too_many_attempts")
    assert int(refused["Retry-After"]) > 0
    assert unchanged(patient)


def test_the_throttle_on_changes_is_the_sign_in_throttle(
    signed_in_api: ApiClient, patient: User
) -> None:
    """Failures at sign-in from this browser count against a change from it, too."""
    for _ in range(FREE_FAILURES):
        response = signed_in_api.post(
            "/session", {"email": patient.email, "password": "not-my-password"}
        )
        assert_error(response, 401, "invalid_credentials")
    assert_error(change(signed_in_api), 429, "too_many_attempts")
    assert unchanged(patient)


def test_a_wrong_current_password_writes_password_change_failed(
    signed_in_api: ApiClient, patient: User
) -> None:
    change(signed_in_api, current="not-my-password")
    change(signed_in_api, current="still-not-my-password")
    assert events(patient, "password.change_failed") == 2
    assert events(patient, "password.changed") == 0


def test_a_weak_new_password_spends_no_throttle_slot(
    signed_in_api: ApiClient, patient: User
) -> None:
    for _ in range(FREE_FAILURES * 3):
        response = change(signed_in_api, current="not-my-password", new="password1234")
        assert_error(response, 422, "weak_password")
    assert events(patient, "password.change_failed") == 0
    assert change(signed_in_api).status_code == 204
    patient.refresh_from_db()
    assert patient.check_password(NEW)


def test_a_successful_change_clears_earlier_failures(
    signed_in_api: ApiClient, patient: User
) -> None:
    for _ in range(FREE_FAILURES - 1):
        change(signed_in_api, current="not-my-password")
    assert change(signed_in_api).status_code == 204
    for _ in range(FREE_FAILURES - 1):
        assert_error(
            change(signed_in_api, current="not-my-password", new="another-fine-phrase-7"),
            401,
            "invalid_credentials",
        )
    assert change(signed_in_api, current=NEW, new="another-fine-phrase-7").status_code == 204
