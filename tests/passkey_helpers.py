"""Helpers for passkey tests through the JSON API, with the software authenticator.

The test settings' CAREKEY_PUBLIC_URL is the default http://localhost:8000, so the RP ID
is "localhost" and the only accepted origin is "http://localhost:8000".
"""

from __future__ import annotations

from typing import Any

from carekey.mfa.models import Factor, Passkey, PasskeyChallenge, RecoveryCode
from tests.conftest import ApiClient
from tests.passkey_authenticator import SoftPasskey

RP_ID = "localhost"
ORIGIN = "http://localhost:8000"
SESSION_COOKIE = "carekey_session"


def new_key(**kw: Any) -> SoftPasskey:
    return SoftPasskey(rp_id=RP_ID, origin=ORIGIN, **kw)


def creation_options(api: ApiClient, friendly_name: str | None = None) -> dict[str, Any]:
    body = {} if friendly_name is None else {"friendly_name": friendly_name}
    response = api.post("/mfa/passkeys/options", body)
    assert response.status_code == 200, response.content
    options: dict[str, Any] = response.json()["publicKey"]
    return options


def request_options(api: ApiClient) -> dict[str, Any]:
    response = api.post("/session/passkey/options")
    assert response.status_code == 200, response.content
    options: dict[str, Any] = response.json()["publicKey"]
    return options


def add_passkey(
    api: ApiClient, key: SoftPasskey | None = None, name: str | None = None
) -> tuple[SoftPasskey, dict[str, Any]]:
    """Options, the authenticator's answer, and POST /mfa/passkeys: (key, the 201 body)."""
    key = key or new_key()
    options = creation_options(api)
    body: dict[str, Any] = {"credential": key.create(options)}
    if name is not None:
        body["friendly_name"] = name
    response = api.post("/mfa/passkeys", body)
    assert response.status_code == 201, response.content
    answer: dict[str, Any] = response.json()
    return key, answer


def use_passkey(api: ApiClient, key: SoftPasskey, **knobs: Any) -> Any:
    """Options then POST /session/passkey with the key's assertion (knobs: see SoftPasskey.get)."""
    credential = key.get(request_options(api), **knobs)
    return api.post("/session/passkey", {"credential": credential})


def signed_in_with_passkey(key: SoftPasskey) -> ApiClient:
    """A fresh browser that signs in with the passkey alone."""
    browser = ApiClient()
    response = use_passkey(browser, key)
    assert response.status_code == 200, response.content
    assert response.json()["aal"] == "aal2"
    return browser


def session_key(api: ApiClient) -> str:
    return api.client.cookies[SESSION_COOKIE].value


def stored() -> dict[str, int]:
    """What a refused credential must not change."""
    return {
        "factors": Factor.objects.count(),
        "passkeys": Passkey.objects.count(),
        "recovery_codes": RecoveryCode.objects.count(),
    }


def open_challenges() -> int:
    return PasskeyChallenge.objects.count()


def assert_refused(
    response: Any, *, status: int = 422, code: str = "passkey_verification_failed"
) -> str:
    """The one error body, with a sentence the patient can act on; never a 500."""
    assert response.status_code == status, (response.status_code, response.content[:500])
    body = response.json()
    assert set(body) == {"error"}, body
    assert body["error"]["code"] == code, body
    message = body["error"]["message"]
    assert isinstance(message, str) and len(message) > 10 and message.endswith("."), message
    return str(message)
