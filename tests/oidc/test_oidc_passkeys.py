"""Passkeys seen by an app (CONTRACT §8, issue 15 item 6): a passkey sign-in answers
acr=phr with RFC 8176 amr (hwk or swk, and user), acr_values=phr steps a password and
code session up to a passkey on CareKey's own page, a patient without a passkey is
offered to add one or to cancel, and phr meets a request for aal2.

The relying party is Authlib (relying_party.py); the authenticator is the software one
(tests/passkey_authenticator.py), answering for the live server's origin, which is
CAREKEY_PUBLIC_URL here so the server's RP ID is "localhost"."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit

import pytest
import requests
from django.test import Client

from carekey.accounts.models import User
from carekey.audit.models import SecurityEvent
from carekey.oidc import clients
from tests.conftest import PASSWORD, ApiClient
from tests.mfa_helpers import code_now, enroll_and_verify
from tests.oidc.relying_party import REDIRECT_URI, Flow, callback_of, claims_after, query_of
from tests.passkey_authenticator import SoftPasskey

pytestmark = pytest.mark.django_db(transaction=True)

STEP_UP_PATH = "/o/step-up/passkey/"


@pytest.fixture
def base(live_server: Any, settings: Any) -> str:
    """The live server is CareKey's public address: the passkeys' origin and RP ID."""
    settings.CAREKEY_PUBLIC_URL = live_server.url
    assert urlsplit(live_server.url).hostname == "localhost"
    return str(live_server.url)


def soft_key(base: str, *, synced: bool = False) -> SoftPasskey:
    return SoftPasskey(rp_id="localhost", origin=base, backup_eligible=synced)


def add_passkey(api: ApiClient, key: SoftPasskey) -> None:
    """Through the JSON calls of CONTRACT §6, in a session that may add a factor."""
    options = api.post("/mfa/passkeys/options", {})
    assert options.status_code == 200, options.content
    added = api.post("/mfa/passkeys", {"credential": key.create(options.json()["publicKey"])})
    assert added.status_code == 201, added.content


def patient_with(
    make_patient: Any, email: str, base: str, *, totp: bool = False, synced: bool = False
) -> tuple[User, SoftPasskey, str]:
    """A patient with a passkey (and an authenticator app first when `totp`): the
    patient, the passkey, and the app's TOTP secret ("" without one)."""
    patient = make_patient(email)
    api = ApiClient()
    api.sign_in(patient.email)
    secret = enroll_and_verify(api).secret if totp else ""  # opens the reauth window
    key = soft_key(base, synced=synced)
    add_passkey(api, key)
    api.delete("/session")
    return patient, key, secret


def api_post(flow: Flow, path: str, body: dict[str, Any] | None = None) -> requests.Response:
    """A JSON call from the flow's own browser session, with its CSRF cookie."""
    browser = flow.browser
    if "csrftoken" not in browser.cookies:
        browser.get(f"{flow.base}/api/v1/session", timeout=10)
    return browser.post(
        f"{flow.base}/api/v1{path}",
        json=body or {},
        headers={"X-CSRFToken": str(browser.cookies["csrftoken"])},
        timeout=10,
    )


def assertion(flow: Flow, key: SoftPasskey) -> str:
    """What passkeys.js posts in the field "passkey": the answer to fresh options."""
    options = api_post(flow, "/session/passkey/options")
    assert options.status_code == 200, options.text
    return json.dumps(key.get(options.json()["publicKey"]))


def sign_in_with_passkey(flow: Flow, key: SoftPasskey) -> None:
    options = api_post(flow, "/session/passkey/options")
    assert options.status_code == 200, options.text
    signed = api_post(
        flow, "/session/passkey", {"credential": key.get(options.json()["publicKey"])}
    )
    assert signed.status_code == 200, signed.text
    assert signed.json()["aal"] == "aal2"


def password_and_code(flow: Flow, email: str, secret: str, **params: str) -> tuple[Any, ...]:
    """Start an authorization request and sign in with the password and a TOTP code:
    (client, verifier, nonce, the page the authorization request then answers)."""
    client = flow.client()
    url, verifier, nonce = flow.authorization_url(client, **params)
    verify = flow.submit(flow.follow(url), {"email": email, "password": PASSWORD})
    assert "/portal/signin/verify" in verify.url, verify.url
    answer = flow.submit(verify, {"code": code_now(secret, 1)})  # the next step: unused
    return client, verifier, nonce, answer


def resume_of(page: requests.Response) -> str:
    found = re.search(r'name="next" value="([^"]+)"', page.text)
    assert found, page.text[:500]
    return found.group(1).replace("&amp;", "&")


def cancel_of(page: requests.Response) -> str:
    found = re.search(r'<a href="([^"]+)">Cancel and go back to the app', page.text)
    assert found, page.text[:500]
    return str(urljoin(page.url, found.group(1).replace("&amp;", "&")))


def post_to(flow: Flow, page: requests.Response, action: str, data: dict[str, str]) -> Any:
    """POST one of the page's forms (to `action`) with the page's CSRF token."""
    page.url = urljoin(page.url, action)
    return flow.submit(page, data)


# (a) A passkey sign-in answers acr=phr and amr hwk (or swk) with user, and no pwd.


def test_a_passkey_sign_in_answers_phr_with_hwk_and_user(base: str, make_patient: Any) -> None:
    patient, key, _ = patient_with(make_patient, "pia.key@example.org", base)
    flow = Flow.start(base)
    sign_in_with_passkey(flow, key)
    client = flow.client()
    url, verifier, nonce = flow.authorization_url(client)
    claims = claims_after(flow, client, callback_of(flow.follow(url)), verifier, nonce)
    assert claims["acr"] == "phr"
    assert claims["amr"] == ["hwk", "user", "mfa"]  # RFC 8176; no password was used
    assert claims["sub"] == str(patient.pk)


def test_a_synced_passkey_on_the_sign_in_page_answers_swk(base: str, make_patient: Any) -> None:
    """Sign in with a passkey on /portal/signin, the page the app's request leads to."""
    _patient, key, _ = patient_with(make_patient, "sam.sync@example.org", base, synced=True)
    flow = Flow.start(base)
    client = flow.client()
    url, verifier, nonce = flow.authorization_url(client)
    page = flow.follow(url)
    assert "/portal/signin" in page.url and "Sign in with a passkey" in page.text
    answer = flow.submit(page, {"passkey": assertion(flow, key)})
    claims = claims_after(flow, client, callback_of(answer), verifier, nonce)
    assert claims["acr"] == "phr"
    assert claims["amr"] == ["swk", "user", "mfa"]


def test_password_and_a_passkey_on_the_verify_step_answer_phr(base: str, make_patient: Any) -> None:
    patient, key, _ = patient_with(make_patient, "ines.verify@example.org", base)
    flow = Flow.start(base)
    client = flow.client()
    url, verifier, nonce = flow.authorization_url(client)
    verify = flow.submit(flow.follow(url), {"email": patient.email, "password": PASSWORD})
    assert "/portal/signin/verify" in verify.url and "Use a passkey" in verify.text
    answer = flow.submit(verify, {"passkey": assertion(flow, key)})
    claims = claims_after(flow, client, callback_of(answer), verifier, nonce)
    assert claims["acr"] == "phr" and claims["amr"] == ["pwd", "hwk", "user", "mfa"]


def test_discovery_lists_phr(base: str) -> None:
    flow = Flow.start(base)
    assert "phr" in flow.discovery["acr_values_supported"]


# (b) acr_values=phr steps a password and code session up to a passkey.


def test_acr_values_phr_steps_a_totp_session_up_to_a_passkey(base: str, make_patient: Any) -> None:
    patient, key, secret = patient_with(make_patient, "tom.both@example.org", base, totp=True)
    flow = Flow.start(base)
    client, verifier, nonce, page = password_and_code(
        flow, patient.email, secret, acr_values="phr", state="s7"
    )
    assert urlsplit(page.url).path == STEP_UP_PATH, page.url
    assert "Clinic portal asks you to confirm it's you with a passkey" in page.text
    assert "Use a passkey" in page.text and "Passkeys need JavaScript" in page.text
    assert f'action="{STEP_UP_PATH}?' in page.text  # the passkey form posts to this page
    csp = page.headers["Content-Security-Policy"]
    assert "form-action 'self' http://localhost:8799" in csp  # and may end at the app
    before = flow.browser.cookies["carekey_session"]
    answer = flow.submit(page, {"passkey": assertion(flow, key), "next": resume_of(page)})
    assert flow.browser.cookies["carekey_session"] != before  # a higher level, a new id
    callback = callback_of(answer)
    assert query_of(callback)["state"] == "s7"
    claims = claims_after(flow, client, callback, verifier, nonce)
    assert claims["acr"] == "phr"
    assert claims["amr"] == ["pwd", "otp", "hwk", "user", "mfa"]
    assert SecurityEvent.objects.filter(
        type="mfa.challenge.succeeded", user=patient, detail__method="passkey"
    ).exists()


def test_the_step_up_is_remembered_for_the_session(base: str, make_patient: Any) -> None:
    """Once stepped up, the next request for phr answers at once, no page."""
    patient, key, secret = patient_with(make_patient, "rae.again@example.org", base, totp=True)
    flow = Flow.start(base)
    _client, _verifier, _nonce, page = password_and_code(
        flow, patient.email, secret, acr_values="phr"
    )
    flow.submit(page, {"passkey": assertion(flow, key), "next": resume_of(page)})
    client = flow.client()
    url, verifier, nonce = flow.authorization_url(client, acr_values="phr")
    claims = claims_after(flow, client, callback_of(flow.follow(url)), verifier, nonce)
    assert claims["acr"] == "phr"


def test_a_refused_passkey_stays_on_the_page_with_the_reason(base: str, make_patient: Any) -> None:
    patient, key, secret = patient_with(make_patient, "uma.refused@example.org", base, totp=True)
    flow = Flow.start(base)
    _client, _verifier, _nonce, page = password_and_code(
        flow, patient.email, secret, acr_values="phr"
    )
    cancelled = flow.submit(page, {"passkey_error": "cancelled", "next": resume_of(page)})
    assert cancelled.status_code == 400 and "was cancelled" in cancelled.text
    options = api_post(flow, "/session/passkey/options").json()["publicKey"]
    unverified = json.dumps(key.get(options, user_verified=False))
    refused = flow.submit(page, {"passkey": unverified, "next": resume_of(page)})
    assert refused.status_code == 400 and "There is a problem" in refused.text
    assert urlsplit(refused.url).path == STEP_UP_PATH


@pytest.mark.parametrize("with_passkey", [True, False], ids=["passkey", "no-passkey"])
def test_prompt_none_with_phr_asked_answers_without_a_page(
    base: str, make_patient: Any, with_passkey: bool
) -> None:
    if with_passkey:
        patient, _key, secret = patient_with(make_patient, "pat.none@example.org", base, totp=True)
    else:
        patient = make_patient("pat.none@example.org")
        api = ApiClient()
        api.sign_in(patient.email)
        secret = enroll_and_verify(api).secret
    flow = Flow.start(base)
    password_and_code(flow, patient.email, secret)
    url, _verifier, _nonce = flow.authorization_url(flow.client(), acr_values="phr", prompt="none")
    error = query_of(callback_of(flow.follow(url)))
    expected = "interaction_required" if with_passkey else "unmet_authentication_requirements"
    assert error["error"] == expected


# (c) A patient without a passkey: add one, or cancel.


def totp_patient(make_patient: Any, email: str) -> tuple[User, str]:
    patient = make_patient(email)
    api = ApiClient()
    api.sign_in(patient.email)
    return patient, enroll_and_verify(api).secret


def test_without_a_passkey_the_page_offers_to_add_one_and_cancel_answers_unmet(
    base: str, make_patient: Any
) -> None:
    patient, secret = totp_patient(make_patient, "nia.nokey@example.org")
    flow = Flow.start(base)
    _client, _verifier, _nonce, page = password_and_code(
        flow, patient.email, secret, acr_values="phr", state="s8"
    )
    assert urlsplit(page.url).path == STEP_UP_PATH, page.url
    assert "You have no passkey yet" in page.text and "Add a passkey" in page.text
    assert "Use a passkey" not in page.text
    error = query_of(callback_of(flow.follow(cancel_of(page))))
    assert error["error"] == "unmet_authentication_requirements" and error["state"] == "s8"


def test_a_totp_patient_adds_a_passkey_and_gets_back_to_the_app_at_phr(
    base: str, make_patient: Any
) -> None:
    patient, secret = totp_patient(make_patient, "ola.add@example.org")
    flow = Flow.start(base)
    client, verifier, nonce, page = password_and_code(flow, patient.email, secret, acr_values="phr")
    resume = urljoin(base, resume_of(page))
    adding = flow.submit(page, {"add": "1", "next": resume_of(page)})
    assert urlsplit(adding.url).path == "/portal/security/passkeys/new", adding.url
    assert "Create passkey" in adding.text  # the code just given opened the reauth window
    options = api_post(flow, "/mfa/passkeys/options").json()["publicKey"]
    key = soft_key(base)
    added = flow.submit(adding, {"passkey": json.dumps(key.create(options)), "friendly_name": ""})
    if not added.is_redirect:  # the portal's step ends on /portal/security (see the report)
        assert "is added" in added.text
        added = flow.follow(resume)
    claims = claims_after(flow, client, callback_of(added), verifier, nonce)
    assert claims["acr"] == "phr" and claims["amr"] == ["pwd", "otp", "hwk", "user", "mfa"]
    security = flow.browser.get(f"{base}/portal/security", timeout=10)
    csp = security.headers["Content-Security-Policy"]
    assert "form-action 'self';" in csp  # no step-up waits any more: nothing to the app


def test_a_patient_without_any_factor_adds_a_passkey_and_returns_at_phr(
    base: str, patient: Any
) -> None:
    """The first factor a passkey: recovery codes, then back to the app's request."""
    flow = Flow.start(base)
    client = flow.client()
    url, verifier, nonce = flow.authorization_url(client, acr_values="phr")
    page = flow.submit(flow.follow(url), {"email": patient.email, "password": PASSWORD})
    assert urlsplit(page.url).path == STEP_UP_PATH, page.url
    adding = flow.submit(page, {"add": "1", "next": resume_of(page)})
    options = api_post(flow, "/mfa/passkeys/options").json()["publicKey"]
    key = soft_key(base)
    codes = flow.submit(adding, {"passkey": json.dumps(key.create(options)), "friendly_name": ""})
    assert "recovery" in codes.text.lower(), codes.text[:500]
    answer = post_to(flow, codes, "/portal/security/recovery-codes/done", {"saved": "on"})
    claims = claims_after(flow, client, callback_of(answer), verifier, nonce)
    assert claims["acr"] == "phr" and claims["amr"] == ["pwd", "hwk", "user", "mfa"]


# (d) phr meets a request for aal2 (and aal1).


@pytest.mark.parametrize("asked", ["aal2", "aal1", "aal2 phr"])
def test_a_passkey_session_meets_lower_levels(base: str, make_patient: Any, asked: str) -> None:
    _patient, key, _ = patient_with(make_patient, "lee.meets@example.org", base)
    flow = Flow.start(base)
    sign_in_with_passkey(flow, key)
    client = flow.client()
    url, verifier, nonce = flow.authorization_url(client, acr_values=asked)
    claims = claims_after(flow, client, callback_of(flow.follow(url)), verifier, nonce)
    assert claims["acr"] == "phr"


def test_aal2_asked_of_a_totp_session_does_not_ask_for_a_passkey(
    base: str, make_patient: Any
) -> None:
    patient, _key, secret = patient_with(make_patient, "max.aal2@example.org", base, totp=True)
    flow = Flow.start(base)
    client, verifier, nonce, answer = password_and_code(
        flow, patient.email, secret, acr_values="aal2"
    )
    claims = claims_after(flow, client, callback_of(answer), verifier, nonce)
    assert claims["acr"] == "aal2" and claims["amr"] == ["pwd", "otp", "mfa"]


# The page itself: only for a fully signed-in, unlocked session, and only to resume an
# authorization request.


def page_path(client_id: str) -> tuple[str, str]:
    """(the step-up page's path, the authorization request it resumes)"""
    resume = "/o/authorize/?" + urlencode(
        {"client_id": client_id, "redirect_uri": REDIRECT_URI, "acr_values": "phr"}
    )
    return f"{STEP_UP_PATH}?{urlencode({'next': resume})}", resume


def test_the_page_sends_a_signed_out_or_locked_session_back_to_the_request(
    signed_in_page: Client,
) -> None:
    path, resume = page_path(clients.register("Portal", [REDIRECT_URI]).client_id)
    assert signed_in_page.get(path).status_code == 200
    signed_in_page.post("/portal/lock")
    locked = signed_in_page.get(path)
    assert locked.status_code == 302 and locked["Location"] == resume  # which asks to unlock
    signed_out = Client().get(path)
    assert signed_out.status_code == 302 and signed_out["Location"] == resume


def test_the_page_resumes_only_an_authorization_request(signed_in_page: Client) -> None:
    for elsewhere in ("/portal/security", "https://evil.example/o/authorize/", ""):
        answer = signed_in_page.get(STEP_UP_PATH, {"next": elsewhere})
        assert answer.status_code == 302 and answer["Location"] == "/portal/security"


def test_posting_without_javascript_says_a_passkey_needs_it(signed_in_page: Client) -> None:
    path, _resume = page_path(clients.register("Portal", [REDIRECT_URI]).client_id)
    answer = signed_in_page.post(path, {"passkey": "", "passkey_error": ""})
    assert answer.status_code == 400
    assert b"Using a passkey needs JavaScript" in answer.content
