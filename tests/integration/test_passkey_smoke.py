"""Smoke: the passkey API lifecycle with the software authenticator."""

from __future__ import annotations

from django.test import Client

from carekey.accounts.models import User
from tests.conftest import ApiClient
from tests.passkey_authenticator import SoftPasskey


def test_lifecycle(signed_in_api: ApiClient, patient: User) -> None:
    options = signed_in_api.post("/mfa/passkeys/options", {})
    assert options.status_code == 200, options.content
    public_key = options.json()["publicKey"]
    assert public_key["rp"]["id"] == "localhost"
    key = SoftPasskey(rp_id="localhost", origin="http://localhost:8000")
    added = signed_in_api.post("/mfa/passkeys", {"credential": key.create(public_key)})
    assert added.status_code == 201, added.content
    assert added.json()["factor_type"] == "webauthn"
    assert len(added.json()["recovery_codes"]) == 10
    signed_in_api.delete("/session")
    fresh = ApiClient()
    got = fresh.post("/session/passkey/options")
    assert got.status_code == 200, got.content
    signed = fresh.post("/session/passkey", {"credential": key.get(got.json()["publicKey"])})
    assert signed.status_code == 200, signed.content
    assert signed.json()["aal"] == "aal2"
    again = fresh.post("/session/passkey", {"credential": key.get(got.json()["publicKey"])})
    assert again.status_code == 422, again.content
    assert again.json()["error"]["code"] == "passkey_verification_failed"


def test_pages_render(signed_in_page: Client, patient: User) -> None:
    for path in ("/portal/security", "/portal/security/passkeys/new"):
        response = signed_in_page.get(path)
        assert response.status_code == 200, path
        assert b"passkey" in response.content.lower()
    signed_in_page.post("/portal/signout")
    page = signed_in_page.get("/portal/signin")
    assert b'autocomplete="username webauthn"' in page.content
    assert b"Sign in with a passkey" in page.content
    refused = signed_in_page.post("/portal/signin", {"passkey": "{not json"})
    assert refused.status_code == 400
    assert b"could not be verified" in refused.content
    cancelled = signed_in_page.post("/portal/signin", {"passkey_error": "cancelled"})
    assert b"was cancelled" in cancelled.content
