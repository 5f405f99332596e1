""" "Forgot your password?" (CONTRACT §7): the same answer for every email, an emailed link
stored only as a SHA-256 digest that works once, for 30 minutes, while it is the newest and
the password has not changed; 3 links an hour per account. A reset ends every session and
app token, is audited and emailed, and never signs anyone in or skips the second step.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.apps import apps
from django.core import mail
from django.test import Client, override_settings
from django.utils import timezone
from oauth2_provider.models import AccessToken

from carekey.accounts import app_tokens
from carekey.accounts.models import PasswordResetLink, User
from carekey.audit.models import SecurityEvent
from tests.conftest import PASSWORD, ApiClient
from tests.integration.test_api_session import assert_error
from tests.integration.test_password_change import connect_an_app, field_errors
from tests.mfa_helpers import enroll_and_verify
from tests.page_helpers import sign_in_page

pytestmark = pytest.mark.django_db

NEW = "amber-harbour-violin-58"
RESET_PAGE = "/portal/password/reset"
SENT_PAGE = "/portal/password/reset/sent"
SAME_ANSWER = "If an account exists for that email, we sent a link to it."
DEAD_LINK = "This link has expired or was already used."
LINK = re.compile(r"(https?://[^\s\"<>]+/portal/password/reset/([A-Za-z0-9_-]+))")


@pytest.fixture(autouse=True)
def answer_at_once(settings: Any) -> None:
    """The answer's padding to a fixed time is for attackers' stopwatches, not for tests."""
    settings.CAREKEY_PASSWORD_RESET_ANSWER_SECONDS = 0


def ask_on_page(client: Client, email: str) -> Any:
    return client.post(RESET_PAGE, {"email": email})


def ask_in_api(email: str, api: ApiClient | None = None) -> Any:
    return (api or ApiClient()).post("/password/reset", {"email": email})


def emailed_link(message: Any = None) -> tuple[str, str]:
    """The link in a reset email (the newest by default) and its token."""
    body = str((message or mail.outbox[-1]).body)
    found = LINK.search(body)
    assert found, body
    return found.group(1), found.group(2)


def new_token(email: str) -> str:
    assert ask_in_api(email).status_code == 202
    return emailed_link()[1]


def with_csrf(client: Client, body: dict[str, str]) -> dict[str, str]:
    """A browser's form carries the CSRF token when it has one (ApiClient checks it)."""
    cookie = client.cookies.get("csrftoken")
    return {**body, "csrfmiddlewaretoken": cookie.value} if cookie else body


def set_on_page(client: Client, token: str, new: str = NEW, again: str | None = None) -> Any:
    body = {"new_password": new, "confirm_password": new if again is None else again}
    return client.post(f"{RESET_PAGE}/{token}", with_csrf(client, body))


def set_in_api(token: str, new: str = NEW, api: ApiClient | None = None) -> Any:
    return (api or ApiClient()).post(
        "/password/reset/confirm", {"token": token, "new_password": new}
    )


def password_is(user: User, password: str) -> bool:
    user.refresh_from_db()
    return user.check_password(password)


def link_page_refuses(token: str) -> bool:
    response = Client().get(f"{RESET_PAGE}/{token}")
    return response.status_code == 400 and DEAD_LINK in response.content.decode()


def link_page_offers_the_form(token: str) -> bool:
    response = Client().get(f"{RESET_PAGE}/{token}")
    html = response.content.decode()
    return response.status_code == 200 and "Set new password" in html and DEAD_LINK not in html


@pytest.fixture
def inactive(make_patient: Any) -> User:
    user: User = make_patient("gone@example.org")
    user.is_active = False
    user.save()
    return user


# Asking for a link -----------------------------------------------------------------------


def test_signin_page_links_to_forgot_your_password(page_client: Client) -> None:
    html = page_client.get("/portal/signin").content.decode()
    assert re.search(rf'<a href="{RESET_PAGE}"[^>]*>Forgot your password\?</a>', html)


def test_reset_page_asks_for_the_email(page_client: Client) -> None:
    html = page_client.get(RESET_PAGE).content.decode()
    assert '<label for="id_email">Email</label>' in html
    assert ">Send reset link</button>" in html


@pytest.mark.parametrize("email", ["ana@example.org", "nobody@example.org", "gone@example.org"])
def test_page_answer_is_the_same_for_known_unknown_and_inactive_emails(
    page_client: Client, patient: User, inactive: User, email: str
) -> None:
    response = ask_on_page(page_client, email)
    assert response.status_code == 302
    assert response["Location"] == SENT_PAGE
    page = page_client.get(SENT_PAGE)
    html = page.content.decode()
    assert page.status_code == 200
    assert SAME_ANSWER in html
    assert "The link works once, for 30 minutes." in html
    assert email not in html


def test_api_answer_is_the_same_for_known_unknown_and_inactive_emails(
    patient: User, inactive: User
) -> None:
    answers = [ask_in_api(e) for e in (patient.email, "nobody@example.org", inactive.email)]
    for answer in answers:
        assert answer.status_code == 202
        assert answer.json() == {"message": SAME_ANSWER}
    assert len({a.content for a in answers}) == 1


def test_asking_in_the_api_still_needs_the_csrf_header(patient: User) -> None:
    api = ApiClient()
    assert_error(
        api.post("/password/reset", {"email": patient.email}, csrf=False), 403, "csrf_failed"
    )
    assert mail.outbox == []


def test_only_a_known_active_account_gets_an_email(
    page_client: Client, patient: User, inactive: User
) -> None:
    for email in ("nobody@example.org", inactive.email):
        ask_on_page(page_client, email)
        ask_in_api(email)
    assert mail.outbox == []
    assert not PasswordResetLink.objects.exists()
    ask_on_page(page_client, patient.email)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["ana@example.org"]
    assert mail.outbox[0].subject == "Reset your password"


def test_the_email_is_matched_without_regard_to_case(patient: User) -> None:
    ask_in_api("  ANA@Example.org ")
    assert [m.to for m in mail.outbox] == [["ana@example.org"]]


@pytest.mark.parametrize(
    "email", ["not-an-email", "", "a" * 300 + "@example.org", "ana\x00@example.org"]
)
def test_page_bad_email_is_a_sentence_and_sends_nothing(
    page_client: Client, patient: User, email: str
) -> None:
    response = ask_on_page(page_client, email)
    assert response.status_code == 400
    assert "There is a problem" in response.content.decode()
    assert mail.outbox == []


@pytest.mark.parametrize(
    "body",
    [{}, {"email": ""}, {"email": "a" * 300}, {"email": "ana\x00@example.org"}, ["x"]],
)
def test_api_bad_email_is_422_and_sends_nothing(patient: User, body: Any) -> None:
    assert_error(ApiClient().post("/password/reset", body), 422, "validation_error")
    assert mail.outbox == []


@override_settings(CAREKEY_PUBLIC_URL="https://carekey.clinic.example/")
def test_the_link_uses_carekey_public_url(patient: User) -> None:
    ask_in_api(patient.email)
    link, token = emailed_link()
    assert link == f"https://carekey.clinic.example/portal/password/reset/{token}"
    assert "testserver" not in str(mail.outbox[0].body)  # never the request's Host


def test_the_token_is_256_random_bits_in_base64url(patient: User) -> None:
    first, second = new_token(patient.email), new_token(patient.email)
    for token in (first, second):
        assert re.fullmatch(r"[A-Za-z0-9_-]{43}", token)
    assert first != second


def test_the_token_is_stored_only_as_its_sha256_digest(patient: User) -> None:
    token = new_token(patient.email)
    row = PasswordResetLink.objects.get(user=patient)
    assert row.digest == hashlib.sha256(token.encode()).hexdigest()
    for model in apps.get_models():
        if not model._meta.managed or model._meta.proxy:
            continue
        for values in model._default_manager.values_list():
            assert token not in repr(values), f"{model.__name__} holds the token"


def test_asking_is_audited_as_password_reset_requested(patient: User) -> None:
    token = new_token(patient.email)
    event = SecurityEvent.objects.get(user=patient, type="password.reset_requested")
    assert token not in str(event.detail)


# Using a link ----------------------------------------------------------------------------


def test_link_page_asks_for_the_new_password_twice(patient: User) -> None:
    token = new_token(patient.email)
    html = Client().get(f"{RESET_PAGE}/{token}").content.decode()
    assert '<label for="id_new_password">New password</label>' in html
    assert '<label for="id_confirm_password">Confirm new password</label>' in html
    assert ">Set new password</button>" in html


def test_page_reset_sets_the_password_and_sends_to_sign_in(patient: User) -> None:
    token = new_token(patient.email)
    client = Client()
    response = set_on_page(client, token)
    assert response.status_code == 302
    assert response["Location"] == "/portal/signin"
    assert (
        "Your new password is set. Sign in with it now."
        in client.get("/portal/signin").content.decode()
    )
    assert password_is(patient, NEW)
    assert patient.password_changed_at is not None
    ApiClient().sign_in(patient.email, NEW)


def test_api_reset_answers_204_and_the_new_password_signs_in(patient: User) -> None:
    response = set_in_api(new_token(patient.email))
    assert response.status_code == 204
    assert password_is(patient, NEW)
    assert_error(
        ApiClient().post("/session", {"email": patient.email, "password": PASSWORD}),
        401,
        "invalid_credentials",
    )
    ApiClient().sign_in(patient.email, NEW)


def test_a_link_works_once(patient: User) -> None:
    token = new_token(patient.email)
    assert set_on_page(Client(), token).status_code == 302
    again = set_on_page(Client(), token, "second-try-phrase-91")
    assert again.status_code == 400
    assert DEAD_LINK in again.content.decode()
    assert_error(set_in_api(token, "third-try-phrase-17"), 400, "reset_link_invalid")
    assert link_page_refuses(token)
    assert password_is(patient, NEW)


def test_a_link_works_for_30_minutes_and_not_after(patient: User) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        token = new_token(patient.email)
        traveller.shift(timedelta(minutes=29, seconds=59))
        assert link_page_offers_the_form(token)
        traveller.shift(timedelta(seconds=2))
        assert link_page_refuses(token)
        assert_error(set_in_api(token), 400, "reset_link_invalid")
    assert password_is(patient, PASSWORD)


def test_a_link_used_within_30_minutes_resets(patient: User) -> None:
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        token = new_token(patient.email)
        traveller.shift(timedelta(minutes=29))
        assert set_in_api(token).status_code == 204
    assert password_is(patient, NEW)


def test_a_newer_link_kills_the_older(patient: User) -> None:
    older = new_token(patient.email)
    newer = new_token(patient.email)
    assert link_page_refuses(older)
    assert_error(set_in_api(older), 400, "reset_link_invalid")
    assert password_is(patient, PASSWORD)
    assert set_in_api(newer).status_code == 204


def test_a_password_change_kills_links(patient: User) -> None:
    token = new_token(patient.email)
    api = ApiClient()
    api.sign_in(patient.email)
    changed = api.post(
        "/session/password", {"current_password": PASSWORD, "new_password": "changed-by-me-63"}
    )
    assert changed.status_code == 204
    assert link_page_refuses(token)
    assert_error(set_in_api(token), 400, "reset_link_invalid")
    assert password_is(patient, "changed-by-me-63")


# Three links an hour ---------------------------------------------------------------------


def test_three_links_an_hour_then_silence_with_the_same_answer(
    page_client: Client, patient: User
) -> None:
    with time_machine.travel(timezone.now(), tick=False):
        for _ in range(3):
            assert ask_in_api(patient.email).json() == {"message": SAME_ANSWER}
        assert len(mail.outbox) == 3
        third = emailed_link()[1]
        fourth = ask_in_api(patient.email)
        assert fourth.status_code == 202 and fourth.json() == {"message": SAME_ANSWER}
        page = ask_on_page(page_client, patient.email)
        assert page.status_code == 302 and page["Location"] == SENT_PAGE
        assert len(mail.outbox) == 3
        assert link_page_offers_the_form(third)  # silence kills nothing


def test_a_link_over_the_limit_is_audited_as_throttled(patient: User) -> None:
    with time_machine.travel(timezone.now(), tick=False):
        for _ in range(4):
            ask_in_api(patient.email)
    throttled = [
        e
        for e in SecurityEvent.objects.filter(user=patient, type="password.reset_requested")
        if e.detail.get("reason") == "throttled"
    ]
    assert len(throttled) == 1
    assert SecurityEvent.objects.filter(user=patient, type="password.reset_requested").count() == 4


def test_a_new_link_goes_out_after_the_hour(patient: User) -> None:
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        for _ in range(4):
            ask_in_api(patient.email)
        assert len(mail.outbox) == 3
        traveller.shift(timedelta(minutes=59))
        ask_in_api(patient.email)
        assert len(mail.outbox) == 3
        traveller.shift(timedelta(minutes=2))
        ask_in_api(patient.email)
        assert len(mail.outbox) == 4
        assert set_in_api(emailed_link()[1]).status_code == 204
    assert password_is(patient, NEW)


def test_the_limit_is_per_account(patient: User, make_patient: Any) -> None:
    other = make_patient("ben@example.org")
    with time_machine.travel(timezone.now(), tick=False):
        for _ in range(3):
            ask_in_api(patient.email)
        ask_in_api(other.email)
    assert [m.to for m in mail.outbox][-1] == ["ben@example.org"]
    assert len(mail.outbox) == 4


# Links that do not work ------------------------------------------------------------------


def tampered(token: str) -> str:
    swap = "B" if token[10] == "A" else "A"
    return token[:10] + swap + token[11:]


BAD_TOKENS: dict[str, Callable[[str], str]] = {
    "tampered": tampered,
    "one-character-short": lambda t: t[:-1],
    "one-character-long": lambda t: t + "A",
    "wrong-characters": lambda t: "!" * len(t),
    "non-ascii": lambda t: t[:-2] + "éü",
    "all-zero": lambda t: "0" * len(t),
    "the-digest-instead": lambda t: hashlib.sha256(t.encode()).hexdigest(),
}


@pytest.mark.parametrize("kind", list(BAD_TOKENS))
def test_a_bad_token_is_refused_on_the_page(patient: User, kind: str) -> None:
    token = BAD_TOKENS[kind](new_token(patient.email))
    for response in (Client().get(f"{RESET_PAGE}/{token}"), set_on_page(Client(), token)):
        assert response.status_code == 400
        html = response.content.decode()
        assert DEAD_LINK in html
        assert 'name="new_password"' not in html
    assert password_is(patient, PASSWORD)


@pytest.mark.parametrize("kind", list(BAD_TOKENS))
def test_a_bad_token_is_refused_in_the_api(patient: User, kind: str) -> None:
    token = BAD_TOKENS[kind](new_token(patient.email))
    response = set_in_api(token)
    assert_error(response, 400, "reset_link_invalid")
    assert response.json()["error"]["message"].startswith(DEAD_LINK)
    assert password_is(patient, PASSWORD)


def test_a_token_far_too_long_is_refused_on_the_page(patient: User) -> None:
    new_token(patient.email)
    token = "A" * 5000
    assert link_page_refuses(token)
    response = set_on_page(Client(), token)
    assert response.status_code == 400 and DEAD_LINK in response.content.decode()


@pytest.mark.parametrize("token", ["A" * 101, "", "\x00" * 43, "\ud800" * 43])
def test_a_malformed_token_in_the_api_is_refused_without_error(patient: User, token: str) -> None:
    new_token(patient.email)
    response = set_in_api(token)
    assert response.status_code in (400, 422), response.content
    assert response.json()["error"]["code"] in ("reset_link_invalid", "validation_error")
    assert password_is(patient, PASSWORD)


def test_the_token_of_a_deleted_patient_is_refused(patient: User) -> None:
    token = new_token(patient.email)
    User.objects.filter(pk=patient.pk).delete()
    assert link_page_refuses(token)
    assert_error(set_in_api(token), 400, "reset_link_invalid")


def test_the_token_of_a_deactivated_patient_is_refused(patient: User) -> None:
    token = new_token(patient.email)
    User.objects.filter(pk=patient.pk).update(is_active=False)
    assert link_page_refuses(token)
    assert_error(set_in_api(token), 400, "reset_link_invalid")
    assert password_is(patient, PASSWORD)


def test_another_patients_token_resets_only_that_patient(patient: User, make_patient: Any) -> None:
    ben = make_patient("ben@example.org")
    new_token(patient.email)
    bens = new_token(ben.email)
    signed_in_as_ana = Client()
    sign_in_page(signed_in_as_ana, patient.email)
    assert set_on_page(signed_in_as_ana, bens).status_code == 302
    assert password_is(ben, NEW)
    assert password_is(patient, PASSWORD)
    assert PasswordResetLink.objects.filter(user=patient).exists()


def test_a_weak_password_on_the_link_page_leaves_the_link_working(patient: User) -> None:
    token = new_token(patient.email)
    client = Client()
    for new, again in (("password1234", None), ("short-1", None), (NEW, NEW + "x")):
        response = set_on_page(client, token, new, again)
        assert response.status_code == 400
        assert field_errors(response.content.decode())
        assert password_is(patient, PASSWORD)
    assert_error(set_in_api(token, "password1234"), 422, "weak_password")
    assert set_on_page(client, token).status_code == 302
    assert password_is(patient, NEW)


def test_a_weak_password_on_the_link_page_says_why(patient: User) -> None:
    token = new_token(patient.email)
    response = set_on_page(Client(), token, "password1234")
    assert field_errors(response.content.decode()) == {
        "new_password": "This password is too common."
    }


# What a reset ends, records and sends ----------------------------------------------------


def test_after_a_reset_every_session_of_the_patient_is_gone(patient: User) -> None:
    phone, laptop = ApiClient(), Client()
    phone.sign_in(patient.email)
    sign_in_page(laptop, patient.email)
    assert set_in_api(new_token(patient.email)).status_code == 204
    assert_error(phone.get("/session"), 401, "not_authenticated")
    response = laptop.get("/portal/security")
    assert response.status_code == 302 and response["Location"].startswith("/portal/signin")


def test_a_reset_revokes_the_patients_app_tokens(patient: User) -> None:
    access, refresh = connect_an_app(patient)
    set_in_api(new_token(patient.email))
    assert not AccessToken.objects.filter(pk=access.pk).exists()
    refresh.refresh_from_db()
    assert refresh.revoked is not None
    assert app_tokens.connected(patient) == []


def test_a_reset_is_audited_as_password_reset(patient: User) -> None:
    ApiClient().sign_in(patient.email)
    set_in_api(new_token(patient.email))
    event = SecurityEvent.objects.get(user=patient, type="password.reset")
    assert event.detail.get("sessions_ended") == 1
    assert NEW not in str(event.detail)


def test_a_reset_is_emailed(patient: User) -> None:
    token = new_token(patient.email)
    mail.outbox.clear()
    set_in_api(token)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.subject == "Your password was reset"
    assert message.to == ["ana@example.org"]
    assert "was reset with a link we emailed to you" in str(message.body)


@pytest.mark.parametrize("how", ["page", "api"])
def test_the_browser_that_used_the_link_is_not_signed_in(patient: User, how: str) -> None:
    token = new_token(patient.email)
    api = ApiClient()
    if how == "page":
        assert set_on_page(api.client, token).status_code == 302
    else:
        assert set_in_api(token, api=api).status_code == 204
    assert_error(api.get("/session"), 401, "not_authenticated")
    response = api.client.get("/portal/security")
    assert response.status_code == 302 and response["Location"].startswith("/portal/signin")


@pytest.mark.parametrize("how", ["page", "api"])
@pytest.mark.parametrize("who", ["the-same-patient", "another-patient"])
def test_a_signed_in_session_in_the_browser_that_used_the_link_is_signed_out(
    patient: User, make_patient: Any, how: str, who: str
) -> None:
    token = new_token(patient.email)
    browser = ApiClient()
    browser.sign_in(patient.email if who == "the-same-patient" else make_patient().email)
    assert browser.get("/session").status_code == 200
    if how == "page":
        assert set_on_page(browser.client, token).status_code == 302
    else:
        assert set_in_api(token, api=browser).status_code == 204
    assert_error(browser.get("/session"), 401, "not_authenticated")


@pytest.mark.parametrize("how", ["page", "api"])
def test_a_reset_never_skips_the_second_step_on_the_page(patient: User, how: str) -> None:
    setup = ApiClient()
    setup.sign_in(patient.email)
    enroll_and_verify(setup)
    token = new_token(patient.email)
    client = ApiClient()
    if how == "page":
        assert set_on_page(client.client, token).status_code == 302
    else:
        assert set_in_api(token, api=client).status_code == 204
    assert_error(client.get("/session"), 401, "not_authenticated")
    response = client.client.post(
        "/portal/signin",
        with_csrf(client.client, {"email": patient.email, "password": NEW}),
    )
    assert response.status_code == 302
    assert response["Location"].startswith("/portal/signin/verify")
    assert client.client.get("/portal/security")["Location"].startswith("/portal/signin/verify")


@pytest.mark.parametrize("how", ["page", "api"])
def test_a_reset_never_skips_the_second_step_in_the_api(patient: User, how: str) -> None:
    setup = ApiClient()
    setup.sign_in(patient.email)
    enroll_and_verify(setup)
    token = new_token(patient.email)
    client = ApiClient()
    if how == "page":
        assert set_on_page(client.client, token).status_code == 302
    else:
        assert set_in_api(token, api=client).status_code == 204
    assert_error(client.get("/session"), 401, "not_authenticated")
    body = client.sign_in(patient.email, NEW).json()
    assert (body["aal"], body["next_level"]) == ("aal1", "aal2")
    assert_error(client.get("/mfa/factors"), 403, "insufficient_aal")
