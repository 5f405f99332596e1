"""Hypothesis mangles the browser's credential JSON, field by field: never a 500.

Each example starts from a real credential the software authenticator made for a fresh
challenge, replaces one field (or the whole credential) with arbitrary JSON, text,
truncated or random base64url, or a re-encoded clientDataJSON with one member changed,
and posts it. CONTRACT §6: the answer is 422 passkey_verification_failed with a
sentence, and nothing is stored (no factor, no passkey, no counter moved, nobody signed
in); only changes to fields the server ignores (extension results, transports, the
attachment hint) may still succeed. A body that is not JSON is a 422 validation_error.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from carekey.accounts.models import ThrottleState, User
from carekey.mfa.models import Factor, Passkey, RecoveryCode
from tests.conftest import ApiClient
from tests.passkey_authenticator import SoftPasskey, b64url, unb64url
from tests.passkey_helpers import add_passkey, creation_options, new_key, request_options

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Fields the server never relies on: a change there may still verify.
IGNORED = {"clientExtensionResults", "authenticatorAttachment", "response.transports"}
REGISTRATION_FIELDS = [
    "id",
    "rawId",
    "type",
    "response",
    "response.clientDataJSON",
    "response.attestationObject",
    *IGNORED,
]
ASSERTION_FIELDS = [
    "id",
    "rawId",
    "type",
    "response",
    "response.clientDataJSON",
    "response.authenticatorData",
    "response.signature",
    "response.userHandle",
    "clientExtensionResults",
    "authenticatorAttachment",
]
CLIENT_DATA_MEMBERS = ["type", "challenge", "origin", "crossOrigin", "tokenBinding", "topOrigin"]

JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=10,
)
BASE64URL_TEXT = st.text(
    alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", max_size=120
)


ABSENT = object()


def _replacement(original: Any) -> st.SearchStrategy[Any]:
    """What may stand in a field: anything, or something close to what was there."""
    close: list[st.SearchStrategy[Any]] = [JSON_VALUES, st.text(max_size=200), BASE64URL_TEXT]
    if isinstance(original, str) and original:
        close += [
            # Where to cut is drawn independently of the length: a signature's length
            # varies from key to key, and hypothesis wants the same draws to replay.
            st.integers(0, 999).map(lambda k: original[: k % len(original)]),  # truncated
            st.integers(0, 999).map(
                lambda k: original[: k % len(original)] + "=" + original[k % len(original) :]
            ),
            st.binary(max_size=300).map(b64url),
            st.sampled_from([original + "A", original.upper(), original + "\x00", " " + original]),
        ]
    return st.one_of(close)


@dataclass(frozen=True)
class Mangled:
    changed: str  # the field, "clientDataJSON.<member>", or "whole"
    same: bool  # the new value happens to equal the old one
    credential: Any


@st.composite
def mangled(draw: st.DrawFn, credential: dict[str, Any], fields: list[str]) -> Mangled:
    how = draw(st.sampled_from(["field", "field", "field", "client data", "whole"]))
    copy = json.loads(json.dumps(credential))
    if how == "whole":
        return Mangled("whole", False, draw(st.one_of(JSON_VALUES, st.text(max_size=300))))
    if how == "client data":
        data = json.loads(unb64url(copy["response"]["clientDataJSON"]))
        member = draw(st.sampled_from(CLIENT_DATA_MEMBERS))
        old = data.get(member, ABSENT)
        data[member] = draw(_replacement(old))
        copy["response"]["clientDataJSON"] = b64url(json.dumps(data).encode())
        return Mangled(f"clientDataJSON.{member}", data[member] == old, copy)
    path = draw(st.sampled_from(fields))
    target = copy
    *parents, last = path.split(".")
    for part in parents:
        target = target[part]
    old = target.get(last, ABSENT)
    target[last] = draw(_replacement(old))
    return Mangled(path, target[last] == old, copy)


def _counts(user: User) -> dict[str, Any]:
    return {
        "factors": Factor.objects.filter(user=user).count(),
        "passkeys": list(Passkey.objects.values_list("credential_id", "sign_count")),
        "recovery_codes": RecoveryCode.objects.filter(user=user).count(),
    }


def _answer(response: Any, ok: int, may_succeed: bool) -> str:
    """Check the status and the one error shape; return "ok" or the error code."""
    assert response.status_code < 500, response.content[:500]
    event(f"status {response.status_code}")
    if may_succeed and response.status_code == ok:
        return "ok"
    assert response.status_code == 422, (response.status_code, response.content[:500])
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, body
    assert body["error"]["code"] == "passkey_verification_failed", body
    message = body["error"]["message"]
    assert isinstance(message, str) and message.endswith("."), message
    return str(body["error"]["code"])


def _fresh_throttle() -> None:
    ThrottleState.objects.all().delete()


def _post_raw(client: ApiClient, path: str, raw: bytes) -> Any:
    return client.client.generic(
        "POST",
        f"/api/v1{path}",
        raw,
        content_type="application/json",
        headers={"X-CSRFToken": client.csrf},
    )


# --- POST /mfa/passkeys -----------------------------------------------------------------------


@FUZZ
@given(data=st.data())
def test_a_mangled_registration_is_refused_cleanly(
    signed_in_api: ApiClient, patient: User, data: st.DataObject
) -> None:
    Factor.objects.filter(user=patient).delete()
    RecoveryCode.objects.filter(user=patient).delete()
    credential = new_key().create(creation_options(signed_in_api))
    change = data.draw(mangled(credential, REGISTRATION_FIELDS))
    event(f"changed {change.changed}")
    before = _counts(patient)
    response = signed_in_api.post("/mfa/passkeys", {"credential": change.credential})
    # Nothing signs a registration's client data ("none" attestation): the obsolete
    # tokenBinding member is py_webauthn's to judge.
    unsigned = change.changed in IGNORED or change.changed == "clientDataJSON.tokenBinding"
    outcome = _answer(response, 201, change.same or unsigned)
    if outcome == "ok":
        assert Passkey.objects.filter(factor__user=patient).count() == 1
    else:
        assert _counts(patient) == before


@FUZZ
@given(credential=st.one_of(JSON_VALUES, st.text(max_size=500)))
def test_any_json_as_a_registration_is_refused(
    signed_in_api: ApiClient, patient: User, credential: Any
) -> None:
    creation_options(signed_in_api)
    response = signed_in_api.post("/mfa/passkeys", {"credential": credential})
    _answer(response, 201, False)
    assert not Factor.objects.filter(user=patient).exists()


# --- POST /session/passkey --------------------------------------------------------------------


@pytest.fixture
def passkey_owner(signed_in_api: ApiClient, patient: User) -> SoftPasskey:
    key, _ = add_passkey(signed_in_api)
    return key


@FUZZ
@given(data=st.data(), signed_in=st.booleans())
def test_a_mangled_assertion_is_refused_cleanly(
    passkey_owner: SoftPasskey,
    signed_in_api: ApiClient,
    patient: User,
    data: st.DataObject,
    signed_in: bool,
) -> None:
    """Anonymous ("Sign in with a passkey") and signed in (reauthentication) alike."""
    _fresh_throttle()
    browser = signed_in_api if signed_in else ApiClient()
    credential = passkey_owner.get(request_options(browser))
    change = data.draw(mangled(credential, ASSERTION_FIELDS))
    event(f"changed {change.changed}")
    before = _counts(patient)
    response = browser.post("/session/passkey", {"credential": change.credential})
    # The signature covers the authenticator data and the client data; the user handle
    # is optional (absent means "not said"), and the hints are not relied on.
    handle = change.changed == "response.userHandle" and change.credential["response"][
        "userHandle"
    ] in (None, "")
    outcome = _answer(response, 200, change.same or change.changed in IGNORED or handle)
    if outcome != "ok":
        assert _counts(patient) == before
        if not signed_in:
            assert browser.get("/session").status_code == 401


@FUZZ
@given(credential=st.one_of(JSON_VALUES, st.text(max_size=500)), signed_in=st.booleans())
def test_any_json_as_an_assertion_is_refused(
    passkey_owner: SoftPasskey,
    signed_in_api: ApiClient,
    patient: User,
    credential: Any,
    signed_in: bool,
) -> None:
    _fresh_throttle()
    browser = signed_in_api if signed_in else ApiClient()
    request_options(browser)
    before = _counts(patient)
    _answer(browser.post("/session/passkey", {"credential": credential}), 200, False)
    assert _counts(patient) == before


# --- bodies that are not JSON objects ---------------------------------------------------------


@FUZZ
@given(
    raw=st.binary(max_size=600) | st.text(max_size=300).map(str.encode),
    path=st.sampled_from(
        ["/mfa/passkeys", "/mfa/passkeys/options", "/session/passkey", "/session/passkey/options"]
    ),
)
def test_raw_bodies_never_answer_500(
    passkey_owner: SoftPasskey, signed_in_api: ApiClient, raw: bytes, path: str
) -> None:
    _fresh_throttle()
    response = _post_raw(signed_in_api, path, raw)
    assert response.status_code < 500, response.content[:300]
    event(f"{path} {response.status_code}")
    if response.status_code >= 400:
        code = response.json()["error"]["code"]
        assert code in {
            "validation_error",
            "passkey_verification_failed",
            "reauthentication_required",
            "mfa_factor_name_conflict",
        }, (response.status_code, code)


def test_deeply_nested_credentials_are_refused_cleanly(
    passkey_owner: SoftPasskey, signed_in_api: ApiClient
) -> None:
    for depth in (50, 900, 5000, 100_000):
        for path in ("/mfa/passkeys", "/session/passkey"):
            raw = '{"credential": ' + "[" * depth + "]" * depth + "}"
            response = _post_raw(signed_in_api, path, raw.encode())
            assert response.status_code == 422, (depth, path, response.content[:200])
            code = response.json()["error"]["code"]
            assert code in {"validation_error", "passkey_verification_failed"}


def test_json_numbers_too_long_for_python_are_refused_cleanly(
    passkey_owner: SoftPasskey, signed_in_api: ApiClient
) -> None:
    raw = b'{"credential": {"id": ' + b"9" * 5000 + b"}}"
    for path in ("/mfa/passkeys", "/session/passkey"):
        response = _post_raw(signed_in_api, path, raw)
        assert response.status_code == 422, response.content[:200]


def test_base64_with_padding_or_standard_alphabet_is_refused_cleanly(
    passkey_owner: SoftPasskey, signed_in_api: ApiClient
) -> None:
    credential = passkey_owner.get(request_options(signed_in_api))
    raw = unb64url(credential["response"]["signature"])
    credential["response"]["signature"] = base64.b64encode(raw).decode()  # "+", "/", "="
    response = signed_in_api.post("/session/passkey", {"credential": credential})
    assert response.status_code in (200, 422), response.content
