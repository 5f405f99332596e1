"""Passkeys refused in a real browser: the sentence the patient reads and the audit trail.

What Chromium does (Chromium 156, its virtual authenticator): when the options require
user verification and the authenticator cannot give it (the fingerprint did not match,
or a security key with no PIN or fingerprint at all), and when the authenticator holds
none of the credentials asked for, navigator.credentials.get() rejects at once with a
NotAllowedError and no assertion reaches the server. The browser deliberately does not
say which (a site must not learn whether a device holds a passkey), so passkeys.js
reports "cancelled" and the page says the request was cancelled or the device has no
passkey for this site. The server's own user-verification check is shown by a browser
told, in transit, that verification is "discouraged": Chromium then signs with presence
alone, and the server refuses. A copied key (its counter going back) and a second
passkey on the same device (Chromium's InvalidStateError) have their own sentences.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, Route, expect

from carekey.accounts.models import User
from carekey.mfa.models import Factor, Passkey
from tests.browser.passkey_helpers import (
    Authenticator,
    click_passkey,
    events,
    open_sign_in,
    passkey_from_api,
    session_of,
    sign_in_with_passkey,
    sign_in_with_password,
    sign_out,
    virtual_authenticator,
)

pytestmark = pytest.mark.usefixtures("fast_password_hashing")

MakePatient = Callable[..., User]
CANCELLED_OR_NONE = (
    "The passkey request was cancelled, or this device has no passkey for this site. "
    "Try again, or use another way."
)
NOT_VERIFIED = (
    "Your device did not confirm it was you (fingerprint, face or PIN). Try again and "
    "confirm on your device."
)
COPIED = (
    "This passkey was refused because it may have been copied. Sign in another way, "
    "remove it on the Security page and add it again."
)
ALREADY_ON_THIS_DEVICE = (
    "This device already has a passkey for your account. Use it to sign in, or add a "
    "passkey on another device."
)


def expect_refusal(page: Page, sentence: str) -> None:
    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(page.get_by_role("alert")).to_contain_text(sentence)


def to_verify_step(page: Page, patient: User) -> None:
    sign_in_with_password(page, patient.email)
    expect(page).to_have_url(re.compile(r"/portal/signin/verify\?next="))
    expect(page.get_by_role("button", name="Use a passkey")).to_be_visible()


def test_user_verification_off_is_refused_by_chromium(
    page: Page, authenticator: Authenticator, with_passkey: User
) -> None:
    authenticator.user_verified(False)  # the fingerprint did not match

    open_sign_in(page)
    click_passkey(page, authenticator, "Sign in with a passkey")
    expect(page).to_have_url(re.compile(r"/portal/signin$"))
    expect_refusal(page, CANCELLED_OR_NONE)
    assert session_of(page)["error"]["code"] == "not_authenticated"  # signed out

    to_verify_step(page, with_passkey)
    click_passkey(page, authenticator, "Use a passkey")
    expect(page).to_have_url(re.compile(r"/portal/signin/verify$"))
    expect_refusal(page, CANCELLED_OR_NONE)
    assert session_of(page)["aal"] == "aal1"
    failed = events(with_passkey, "mfa.challenge.failed")
    assert failed == [{"method": "passkey", "reason": "browser_cancelled"}], failed
    assert not events(with_passkey, "mfa.challenge.succeeded")


def test_an_authenticator_without_user_verification_is_refused_by_chromium(
    page: Page, live_server: Any, settings: Any, make_patient: MakePatient
) -> None:
    """A security key with no PIN or fingerprint: Chromium never asks it to sign."""
    key = virtual_authenticator(
        page, live_server, settings, transport="usb", hasUserVerification=False
    )
    patient = make_patient()
    passkey_from_api(patient, key, live_server.url)
    to_verify_step(page, patient)
    click_passkey(page, key, "Use a passkey")
    expect_refusal(page, CANCELLED_OR_NONE)
    assert session_of(page)["aal"] == "aal1"
    assert events(patient, "mfa.challenge.failed") == [
        {"method": "passkey", "reason": "browser_cancelled"}
    ]


def test_an_assertion_without_user_verification_is_refused_by_the_server(
    page: Page, live_server: Any, settings: Any, make_patient: MakePatient
) -> None:
    """The key without verification again, and the options altered on their way to say
    "discouraged": Chromium lets it sign with presence alone (the UV flag off), and the
    server, which requires verification, refuses the assertion."""

    def discouraged(route: Route) -> None:
        answer = route.fetch()
        body = answer.json()
        assert body["publicKey"]["userVerification"] == "required"
        body["publicKey"]["userVerification"] = "discouraged"
        route.fulfill(response=answer, body=json.dumps(body))

    key = virtual_authenticator(
        page, live_server, settings, transport="usb", hasUserVerification=False
    )
    patient = make_patient()
    passkey_from_api(patient, key, live_server.url)
    to_verify_step(page, patient)
    page.route("**/api/v1/session/passkey/options", discouraged)
    click_passkey(page, key, "Use a passkey")
    expect_refusal(page, NOT_VERIFIED)
    assert session_of(page)["aal"] == "aal1"
    failed = events(patient, "mfa.challenge.failed")
    assert failed == [{"method": "passkey", "reason": "user_not_verified"}], failed
    assert key.only_credential()["signCount"] == 1  # Chromium did sign


def test_a_passkey_removed_from_the_device_is_refused(
    page: Page, authenticator: Authenticator, with_passkey: User
) -> None:
    to_verify_step(page, with_passkey)
    authenticator.remove(authenticator.only_credential()["credentialId"])
    click_passkey(page, authenticator, "Use a passkey")
    expect(page).to_have_url(re.compile(r"/portal/signin/verify$"))
    expect_refusal(page, CANCELLED_OR_NONE)
    assert session_of(page)["aal"] == "aal1"
    assert events(with_passkey, "mfa.challenge.failed") == [
        {"method": "passkey", "reason": "browser_cancelled"}
    ]


def test_a_copied_passkey_whose_counter_goes_back_is_refused(
    page: Page, authenticator: Authenticator, with_passkey: User
) -> None:
    sign_in_with_passkey(page, authenticator)  # the server now holds the counter
    stored = Passkey.objects.get(factor__user=with_passkey)
    original = authenticator.only_credential()
    assert stored.sign_count == original["signCount"] >= 1
    sign_out(page)

    # The same key on a device whose counter starts again from zero: a copy.
    authenticator.remove(original["credentialId"])
    authenticator.add({**original, "signCount": 0})
    open_sign_in(page)
    click_passkey(page, authenticator, "Sign in with a passkey")
    expect(page).to_have_url(re.compile(r"/portal/signin$"))
    expect_refusal(page, COPIED)
    assert session_of(page)["error"]["code"] == "not_authenticated"  # signed out
    regressed = events(with_passkey, "mfa.passkey.counter_regressed")
    assert regressed == [
        {
            "factor_id": str(stored.factor_id),
            "stored": stored.sign_count,
            "received": authenticator.only_credential()["signCount"],
        }
    ], regressed
    assert Passkey.objects.get(pk=stored.pk).sign_count == stored.sign_count


def test_a_second_passkey_on_the_same_device_is_refused(
    page: Page, authenticator: Authenticator, with_passkey: User
) -> None:
    """The options exclude the patient's passkeys; Chromium finds one: InvalidStateError."""
    sign_in_with_passkey(page, authenticator, next_path="/portal/security")
    page.get_by_role("button", name="Add a passkey").click()
    page.get_by_label("Name").fill("Same laptop")
    click_passkey(page, authenticator, "Create passkey")
    expect(page.get_by_role("heading", level=1)).to_have_text("Add a passkey")
    expect_refusal(page, ALREADY_ON_THIS_DEVICE)
    assert Factor.objects.filter(user=with_passkey).count() == 1
    assert len(authenticator.credentials()) == 1
