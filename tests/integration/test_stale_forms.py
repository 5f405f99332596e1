"""A form posted after its session was signed out (or locked) in another tab (issue 17, item 6).

It used to go to sign-in and then, with `next` naming the form's POST-only address, to an
HTTP 405 page. Now `next` is the page the form was on (the Referer, when it is this site
and answers GET; else the Security page for its forms, else Home), marked so that after
sign-in or unlock that page says the change was not saved, once.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from carekey.accounts.models import User
from carekey.applock.models import AppLockPreference
from tests.conftest import PASSWORD, ApiClient
from tests.mfa_helpers import enroll_and_verify
from tests.page_helpers import live_region_texts

pytestmark = pytest.mark.django_db

SIGNED_OUT = "You were signed out, so your change was not saved. Please do it again."
LOCKED = "The portal locked, so your change was not saved. Please do it again."
SECURITY = "http://testserver/portal/security"
APP_LOCK_FORM = {"enabled": "on", "timeout_minutes": "1", "unlock_method": "password"}


def next_of(response: Any) -> str:
    return parse_qs(urlsplit(str(response["Location"])).query)["next"][0]


def signed_out_tab(patient: User) -> Client:
    """A tab whose session another tab has just ended with "Sign out"."""
    tab = Client()
    tab.post("/portal/signin", {"email": patient.email, "password": PASSWORD})
    tab.post("/portal/signout")
    return tab


def test_a_stale_form_goes_to_sign_in_with_the_page_it_was_on(patient: User) -> None:
    tab = signed_out_tab(patient)
    answer = tab.post("/portal/security/app-lock", APP_LOCK_FORM, headers={"referer": SECURITY})
    assert answer.status_code == 302
    assert answer["Location"].startswith("/portal/signin?next=")
    assert next_of(answer) == "/portal/security?not_saved=signed_out"


def test_after_sign_in_the_page_says_the_change_was_not_saved_once(patient: User) -> None:
    tab = signed_out_tab(patient)
    sent = tab.post("/portal/security/app-lock", APP_LOCK_FORM, headers={"referer": SECURITY})
    back = tab.post(
        "/portal/signin", {"email": patient.email, "password": PASSWORD, "next": next_of(sent)}
    )
    assert back["Location"] == "/portal/security"  # the marker leaves the address
    page = tab.get("/portal/security")
    assert page.status_code == 200
    assert SIGNED_OUT in live_region_texts(page.content.decode())
    again = tab.get("/portal/security").content.decode()
    assert SIGNED_OUT not in again
    assert not AppLockPreference.objects.filter(user=patient, enabled=True).exists()


def test_the_second_step_passes_the_marker_on(patient: User) -> None:
    setup = ApiClient()
    setup.sign_in(patient.email)
    enrolled = enroll_and_verify(setup)
    tab = signed_out_tab(patient)
    sent = tab.post("/portal/security/app-lock", APP_LOCK_FORM, headers={"referer": SECURITY})
    step = tab.post(
        "/portal/signin", {"email": patient.email, "password": PASSWORD, "next": next_of(sent)}
    )
    assert next_of(step) == "/portal/security?not_saved=signed_out"
    done = tab.post(step["Location"], {"recovery_code": enrolled.recovery_codes[0]}, follow=True)
    assert done.redirect_chain[-1][0] == "/portal/security"
    assert SIGNED_OUT in " ".join(live_region_texts(done.content.decode()))


def test_without_a_referer_a_security_form_returns_to_the_security_page(patient: User) -> None:
    tab = signed_out_tab(patient)
    answer = tab.post("/portal/security/sessions/others")
    assert next_of(answer) == "/portal/security?not_saved=signed_out"


def test_other_forms_without_a_referer_return_home(patient: User) -> None:
    tab = signed_out_tab(patient)
    assert next_of(tab.post("/portal/lock")) == "/portal/"


def test_a_stale_sign_out_or_lock_loses_nothing(patient: User) -> None:
    tab = signed_out_tab(patient)
    for path in ("/portal/signout", "/portal/lock"):
        answer = tab.post(path, headers={"referer": SECURITY})
        assert next_of(answer) == "/portal/security", path


@pytest.mark.parametrize(
    "referer",
    [
        "https://evil.example/portal/security",  # another site
        "http://testserver/portal/security/app-lock",  # a form's POST-only address
        "http://testserver//evil.example/",
        "not a url",
    ],
)
def test_a_referer_that_is_not_a_page_here_is_not_followed(patient: User, referer: str) -> None:
    tab = signed_out_tab(patient)
    answer = tab.post("/portal/security/app-lock", APP_LOCK_FORM, headers={"referer": referer})
    assert next_of(answer) == "/portal/security?not_saved=signed_out"


def test_the_referer_query_is_kept(patient: User) -> None:
    tab = signed_out_tab(patient)
    answer = tab.post(
        "/portal/security/factors/00000000-0000-0000-0000-000000000000/remove",
        {"code": "123456"},
        headers={
            "referer": "http://testserver/portal/security/factors/"
            "00000000-0000-0000-0000-000000000000/remove?method=recovery"
        },
    )
    assert next_of(answer) == (
        "/portal/security/factors/00000000-0000-0000-0000-000000000000/remove"
        "?method=recovery&not_saved=signed_out"
    )


def test_a_get_keeps_its_own_address(patient: User) -> None:
    answer = Client().get("/portal/security?tab=devices")
    assert next_of(answer) == "/portal/security?tab=devices"


def test_a_form_posted_while_locked_says_so_after_unlock(
    signed_in_page: Client, patient: User
) -> None:
    AppLockPreference.objects.create(user=patient, enabled=True, timeout_minutes=5)
    signed_in_page.post("/portal/lock", {"next": "/portal/"})  # "Lock now" in another tab
    sent = signed_in_page.post("/portal/security/sessions/others", headers={"referer": SECURITY})
    assert sent["Location"].startswith("/portal/locked?next=")
    assert next_of(sent) == "/portal/security?not_saved=locked"
    unlocked = signed_in_page.post(sent["Location"], {"password": PASSWORD}, follow=True)
    assert unlocked.redirect_chain[-1][0] == "/portal/security"
    assert LOCKED in live_region_texts(unlocked.content.decode())
