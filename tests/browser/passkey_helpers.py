"""Passkeys in Chromium for the browser tests: its virtual authenticator over CDP, and
what a patient does with it on CareKey's pages.

The authenticator comes from the Chrome DevTools Protocol (the WebAuthn domain): a ctap2
platform authenticator with resident keys and user verification, as a phone or laptop
offers. Chromium makes the credentials, signs the assertions and enforces what the options
ask for; py_webauthn on the server checks them. Nothing of CareKey's runs in the browser
but passkeys.js.

Presence ("the patient touches the sensor") is simulated only while a test presses a
passkey button (`press_passkey`). Otherwise it is off, so the conditional request the
sign-in page starts for the Email field's autofill waits, as a real one waits for the
patient to pick a passkey: with presence on, Chromium's virtual authenticator answers a
conditional request by itself, as soon as the page asks.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlsplit

from cryptography.hazmat.primitives import serialization
from playwright.sync_api import Locator, Page, Route, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from carekey.accounts.models import User
from carekey.audit.models import SecurityEvent
from tests.conftest import PASSWORD, ApiClient
from tests.passkey_authenticator import SoftPasskey


class Authenticator:
    """Chromium's virtual authenticator in the page's tab, driven over CDP."""

    def __init__(self, page: Page, **options: bool | str) -> None:
        self.cdp = page.context.new_cdp_session(page)
        self.cdp.send("WebAuthn.enable")
        chosen = {
            "protocol": "ctap2",
            "transport": "internal",
            "hasResidentKey": True,
            "hasUserVerification": True,
            "isUserVerified": True,
            "automaticPresenceSimulation": False,
            **options,
        }
        added = self.cdp.send("WebAuthn.addVirtualAuthenticator", {"options": chosen})
        self.id: str = added["authenticatorId"]

    def _send(self, method: str, **params: Any) -> Any:
        return self.cdp.send(f"WebAuthn.{method}", {"authenticatorId": self.id, **params})

    def credentials(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self._send("getCredentials")["credentials"]
        return found

    def only_credential(self) -> dict[str, Any]:
        found = self.credentials()
        assert len(found) == 1, found
        return found[0]

    def add(self, credential: dict[str, Any]) -> None:
        self._send("addCredential", credential=credential)

    def remove(self, credential_id: str) -> None:
        self._send("removeCredential", credentialId=credential_id)

    def user_verified(self, verified: bool) -> None:
        self._send("setUserVerified", isUserVerified=verified)

    def unplug(self) -> None:
        """The device goes away (a phone left at home): its credentials with it."""
        self._send("removeVirtualAuthenticator")

    def presence(self, present: bool) -> None:
        self._send("setAutomaticPresenceSimulation", enabled=present)


def virtual_authenticator(
    page: Page, live_server: Any, settings: Any, **options: bool | str
) -> Authenticator:
    """The RP ID is the host of CAREKEY_PUBLIC_URL: here localhost, as WebAuthn wants."""
    assert urlsplit(live_server.url).hostname == "localhost", live_server.url
    settings.CAREKEY_PUBLIC_URL = live_server.url
    return Authenticator(page, **options)


def b64(raw: bytes) -> str:
    """CDP's binary fields are standard base64."""
    return base64.b64encode(raw).decode()


def b64url_to_b64(text: str) -> str:
    return b64(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))


def passkey_from_api(
    user: User, authenticator: Authenticator, origin: str, name: str = "Phone"
) -> ApiClient:
    """A verified passkey made through the JSON calls (§6), its private key then put into
    Chromium's authenticator: quicker than the pages, which the first test walks through.

    Adding a first factor signs out the patient's other sessions, so this runs before the
    browser signs in. Returns the API client, still signed in and just reauthenticated.
    """
    api = ApiClient()
    api.sign_in(user.email)
    options = api.post("/mfa/passkeys/options", {"friendly_name": name})
    assert options.status_code == 200, options.content
    key = SoftPasskey(rp_id=urlsplit(origin).hostname or "", origin=origin)
    credential = key.create(options.json()["publicKey"])
    added = api.post("/mfa/passkeys", {"credential": credential, "friendly_name": name})
    assert added.status_code == 201, added.content
    private_key = key.key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    authenticator.add(
        {
            "credentialId": b64(key.credential_id),
            "isResidentCredential": True,
            "rpId": key.rp_id,
            "privateKey": b64(private_key),
            "userHandle": b64(key.user_handle),
            "signCount": key.sign_count,
        }
    )
    return api


# --- What the patient does --------------------------------------------------------------


def press_passkey(page: Page, authenticator: Authenticator, act: Callable[[], None]) -> None:
    """Press a passkey button (`act`) and touch the authenticator for that one ceremony.

    Presence is switched on only as the button's own options request leaves: switched on
    before the press, it would answer the sign-in page's waiting conditional request (the
    Email autofill) instead, which the press is about to abort. It is switched off again
    when passkeys.js posts the result, before the next page loads: a sign-in page shown
    again (after a refusal) then waits for the patient too.
    """
    armed = [True]
    pressed = [False]

    def press() -> None:
        act()
        pressed[0] = True

    def touch_for_this_ceremony(route: Route) -> None:
        request = route.request
        if request.method == "POST" and request.is_navigation_request():
            authenticator.presence(False)
        elif armed[0] and request.method == "POST" and request.url.endswith("/options"):
            armed[0] = False
            authenticator.presence(True)
        route.fallback()  # to any other handler the test set, else to the network

    page.route("**/*", touch_for_this_ceremony)
    try:
        with page.expect_navigation():
            press()
    except PlaywrightTimeoutError as stuck:
        if not pressed[0]:
            raise  # the press itself timed out: Playwright's message says why
        raise AssertionError(ceremony_state(page, authenticator, armed[0])) from stuck
    finally:
        page.unroute("**/*", touch_for_this_ceremony)
        authenticator.presence(False)


def ceremony_state(page: Page, authenticator: Authenticator, armed: bool) -> str:
    """What a passkey press that led nowhere left behind, for the failure message."""
    status = page.locator(".passkey-status").all_inner_texts()
    return (
        f"no navigation after the passkey press on {page.url}: options requested "
        f"{not armed}, status {status!r}, credentials {len(authenticator.credentials())}"
    )


def click_passkey(page: Page, authenticator: Authenticator, name: str) -> None:
    button = page.get_by_role("button", name=name, exact=True)
    press_passkey(page, authenticator, button.click)


def open_sign_in(page: Page, next_path: str = "") -> None:
    """The sign-in page, once its conditional request (the Email autofill) is waiting."""
    query = f"?next={quote(next_path)}" if next_path else ""
    with page.expect_response(re.compile(r"/api/v1/session/passkey/options$")):
        page.goto(f"/portal/signin{query}")
    expect(page.get_by_role("button", name="Sign in with a passkey")).to_be_visible()


def sign_in_with_password(page: Page, email: str, next_path: str = "") -> None:
    page.goto("/portal/signin" + (f"?next={quote(next_path)}" if next_path else ""))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    # The form posts once the page's passkey options request has answered (passkeys.js):
    # wait for that navigation, so the test's next step acts on the page it leads to.
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in", exact=True).click()


def sign_in_with_passkey(page: Page, authenticator: Authenticator, next_path: str = "") -> None:
    open_sign_in(page, next_path)
    click_passkey(page, authenticator, "Sign in with a passkey")
    expect(page).to_have_url(re.compile(re.escape(next_path or "/portal/") + "$"))


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out", exact=True).click()
    expect(page).to_have_url(re.compile(r"/portal/signin"))


def session_of(page: Page) -> dict[str, Any]:
    """GET /api/v1/session from the page itself, with the browser's own cookies."""
    answer: dict[str, Any] = page.evaluate(
        "() => fetch('/api/v1/session', {credentials: 'same-origin'}).then((r) => r.json())"
    )
    return answer


def events(user: User | None, kind: str) -> list[dict[str, Any]]:
    found = SecurityEvent.objects.filter(type=kind, user=user)
    return [dict(event.detail) for event in found]


def factor_row(page: Page, name: str) -> Locator:
    return page.get_by_role("row").filter(has=page.get_by_role("cell", name=name, exact=True))
