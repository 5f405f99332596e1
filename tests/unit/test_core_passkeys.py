"""The WebAuthn glue (carekey.core.passkeys): the relying party, the size cap, the counter
rule, and every refusal of py_webauthn mapped to one PasskeyRejected with its reason.

No database and no Django: the software authenticator answers the options directly.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from carekey.core import passkeys as webauthn
from tests.passkey_authenticator import SoftPasskey, b64url, unb64url

RP = webauthn.RelyingParty.from_url("http://localhost:8000", "CareKey")
CHALLENGE = b"\x01" * 32
HANDLE = b"\x02" * 32


def key(**kw: Any) -> SoftPasskey:
    return SoftPasskey(rp_id="localhost", origin="http://localhost:8000", **kw)


def creation(challenge: bytes = CHALLENGE, exclude: list[bytes] | None = None) -> dict[str, Any]:
    return webauthn.creation_options(
        RP,
        challenge=challenge,
        user_handle=HANDLE,
        user_name="ana@example.org",
        display_name="Ana Patient",
        exclude=exclude or [],
    )


def registered(passkey: SoftPasskey) -> webauthn.NewCredential:
    return webauthn.verify_new(RP, passkey.create(creation()), CHALLENGE)


def rejected_reason(call: Any) -> str:
    with pytest.raises(webauthn.PasskeyRejected) as refused:
        call()
    return refused.value.reason


# --- the relying party ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("public_url", "rp_id", "origin"),
    [
        ("http://localhost:8000", "localhost", "http://localhost:8000"),
        ("https://carekey.example.org", "carekey.example.org", "https://carekey.example.org"),
        ("https://carekey.example.org/", "carekey.example.org", "https://carekey.example.org"),
        # A path is not part of an origin.
        ("https://example.org/carekey", "example.org", "https://example.org"),
        # Browsers serialise an origin in lower case and without the default port.
        ("https://CareKey.Example.ORG", "carekey.example.org", "https://carekey.example.org"),
        ("HTTPS://carekey.example.org:443", "carekey.example.org", "https://carekey.example.org"),
        ("http://localhost:80", "localhost", "http://localhost"),
        (
            "https://carekey.example.org:8443",
            "carekey.example.org",
            "https://carekey.example.org:8443",
        ),
        # Credentials in a URL are never part of an origin.
        (
            "https://user:secret@carekey.example.org",
            "carekey.example.org",
            "https://carekey.example.org",
        ),
    ],
)
def test_the_relying_party_is_the_public_urls_host_and_origin(
    public_url: str, rp_id: str, origin: str
) -> None:
    rp = webauthn.RelyingParty.from_url(public_url, "CareKey")
    assert (rp.id, rp.origin, rp.name) == (rp_id, origin, "CareKey")


def test_an_origin_in_the_browsers_form_is_accepted_when_the_setting_is_not() -> None:
    rp = webauthn.RelyingParty.from_url("https://CareKey.Example.org:443/", "CareKey")
    passkey = SoftPasskey(rp_id="carekey.example.org", origin="https://carekey.example.org")
    options = webauthn.creation_options(
        rp, challenge=CHALLENGE, user_handle=HANDLE, user_name="a", display_name="", exclude=[]
    )
    assert webauthn.verify_new(rp, passkey.create(options), CHALLENGE).sign_count == 0


# --- options ------------------------------------------------------------------------------


def test_creation_options_ask_for_a_discoverable_verified_passkey_without_attestation() -> None:
    options = creation(exclude=[b"\x09" * 16])
    assert options["rp"] == {"id": "localhost", "name": "CareKey"}
    assert options["challenge"] == b64url(CHALLENGE)
    assert options["user"] == {
        "id": b64url(HANDLE),
        "name": "ana@example.org",
        "displayName": "Ana Patient",
    }
    assert options["attestation"] == "none"
    assert options["timeout"] == 300_000
    selection = options["authenticatorSelection"]
    assert selection["residentKey"] == "required"
    assert selection["requireResidentKey"] is True
    assert selection["userVerification"] == "required"
    assert options["excludeCredentials"] == [{"id": b64url(b"\x09" * 16), "type": "public-key"}]
    assert {"type": "public-key", "alg": -7} in options["pubKeyCredParams"]


def test_a_patient_without_a_display_name_is_shown_by_email() -> None:
    options = webauthn.creation_options(
        RP, challenge=CHALLENGE, user_handle=HANDLE, user_name="a@b.c", display_name="", exclude=[]
    )
    assert options["user"]["displayName"] == "a@b.c"


def test_request_options_list_the_allowed_credentials_or_none() -> None:
    signed_in = webauthn.request_options(RP, challenge=CHALLENGE, allow=[b"\x07" * 16])
    assert signed_in["rpId"] == "localhost"
    assert signed_in["userVerification"] == "required"
    assert signed_in["challenge"] == b64url(CHALLENGE)
    assert signed_in["allowCredentials"] == [{"id": b64url(b"\x07" * 16), "type": "public-key"}]
    anyone = webauthn.request_options(RP, challenge=CHALLENGE, allow=[])
    assert anyone["allowCredentials"] == []


def test_challenges_are_32_random_bytes() -> None:
    challenges = {webauthn.new_challenge() for _ in range(50)}
    assert len(challenges) == 50
    assert all(len(c) == 32 for c in challenges)


# --- parsing --------------------------------------------------------------------------------


def test_parse_takes_an_object_or_its_json_text() -> None:
    credential = {"id": "abc", "response": {}}
    assert webauthn.parse(credential) == credential
    assert webauthn.parse(json.dumps(credential)) == credential


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("{not json", "not_json"),
        ('{"id": "abc", "response": {"clientDataJSON": "ey', "not_json"),  # truncated
        ("", "not_json"),
        ("[1, 2]", "not_an_object"),
        ('"text"', "not_an_object"),
        ([1, 2], "not_an_object"),
        (None, "not_an_object"),
        (42, "not_an_object"),
        (True, "not_an_object"),
    ],
)
def test_parse_refuses_what_is_not_a_json_object(raw: object, reason: str) -> None:
    assert rejected_reason(lambda: webauthn.parse(raw)) == reason


def test_parse_caps_the_size_of_text_and_of_objects() -> None:
    limit = webauthn.MAX_CREDENTIAL_CHARS
    assert webauthn.parse(json.dumps({"id": "x" * (limit - 20)}))
    text = json.dumps({"id": "x" * limit})
    assert rejected_reason(lambda: webauthn.parse(text)) == "too_large"
    assert rejected_reason(lambda: webauthn.parse({"id": "x" * limit})) == "too_large"
    nested = {"response": {"clientDataJSON": ["y" * 1000] * 70}}
    assert rejected_reason(lambda: webauthn.parse(nested)) == "too_large"


def test_decode_refuses_what_is_not_base64url() -> None:
    assert webauthn.decode(b64url(b"\x00\xff")) == b"\x00\xff"
    assert webauthn.decode(b64url(b"\x00\xff") + "=") == b"\x00\xff"  # padding is optional
    for bad in ("a", "é", "ab=c", "\x00", "!!!!", "AQ\n", " AQ", "AQ.."):
        assert rejected_reason(lambda bad=bad: webauthn.decode(bad)) == "bad_base64url"


def test_the_credential_id_comes_from_raw_id_else_id() -> None:
    assert webauthn.credential_id_of({"rawId": b64url(b"raw"), "id": b64url(b"id")}) == b"raw"
    assert webauthn.credential_id_of({"id": b64url(b"id")}) == b"id"
    for bad in ({}, {"rawId": ""}, {"rawId": 5}, {"id": ["x"]}, {"rawId": None, "id": None}):
        assert rejected_reason(lambda bad=bad: webauthn.credential_id_of(bad)) == "no_credential_id"
    assert rejected_reason(lambda: webauthn.credential_id_of({"rawId": "é"})) == "bad_base64url"


def test_the_answered_challenge_is_read_from_the_client_data() -> None:
    credential = key().create(creation())
    assert webauthn.challenge_of(credential) == CHALLENGE


@pytest.mark.parametrize(
    "response",
    [
        None,
        "text",
        {},
        {"clientDataJSON": 7},
        {"clientDataJSON": "é"},
        {"clientDataJSON": b64url(b"not json")},
        {"clientDataJSON": b64url(b"[]")},
        {"clientDataJSON": b64url(b'{"type": "webauthn.get", "origin": "x"}')},
        {"clientDataJSON": b64url(b'{"type": "webauthn.get", "origin": "x", "challenge": 5}')},
        {"clientDataJSON": b64url(b'{"type": "x", "origin": "x", "challenge": "\\u00e9"}')},
        {"clientDataJSON": b64url(b"\xff\xfe")},
    ],
)
def test_a_missing_or_broken_client_data_is_refused(response: object) -> None:
    reason = rejected_reason(lambda: webauthn.challenge_of({"response": response}))
    assert reason in {"no_client_data", "bad_client_data", "bad_base64url"}


def test_the_user_handle_is_optional_but_must_be_base64url() -> None:
    assert webauthn.user_handle_of({"response": {"userHandle": b64url(HANDLE)}}) == HANDLE
    assert webauthn.user_handle_of({"response": {"userHandle": ""}}) is None
    assert webauthn.user_handle_of({"response": {"userHandle": None}}) is None
    assert webauthn.user_handle_of({"response": "x"}) is None
    assert webauthn.user_handle_of({}) is None
    bad = {"response": {"userHandle": "é"}}
    assert rejected_reason(lambda: webauthn.user_handle_of(bad)) == "bad_base64url"


# --- the counter ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stored", "received", "regressed"),
    [
        (0, 0, False),  # an authenticator without a counter (many synced passkeys)
        (0, 1, False),
        (0, 7, False),
        (1, 2, False),
        (5, 6, False),
        (5, 1000, False),
        (5, 5, True),  # the same value twice: a copy used in parallel
        (5, 4, True),
        (5, 1, True),
        (5, 0, True),  # a counter that stops counting after it has counted
        (1, 0, True),
        (2**32 - 1, 2**32 - 1, True),
    ],
)
def test_counter_regressed_truth_table(stored: int, received: int, regressed: bool) -> None:
    assert webauthn.counter_regressed(stored, received) is regressed


# --- registration -----------------------------------------------------------------------------


def test_a_registration_yields_the_public_key_and_what_the_authenticator_said() -> None:
    passkey = key()
    new = registered(passkey)
    assert new.credential_id == passkey.credential_id
    assert new.public_key == passkey._cose_public_key()
    assert new.sign_count == 0
    assert new.aaguid == "cafe0000-cafe-0000-cafe-0000cafe0000"
    assert new.transports == ["internal"]
    assert (new.backup_eligible, new.backed_up) == (False, False)


def test_a_synced_passkey_is_backup_eligible() -> None:
    new = registered(key(backup_eligible=True))
    assert (new.backup_eligible, new.backed_up) == (True, True)


def test_unknown_or_odd_transports_are_dropped() -> None:
    credential = key().create(creation())
    credential["response"]["transports"] = ["usb", "carrier-pigeon", 7, None, "nfc", *["ble"] * 20]
    new = webauthn.verify_new(RP, credential, CHALLENGE)
    assert new.transports[:2] == ["usb", "nfc"] and len(new.transports) == 8
    credential["response"]["transports"] = "usb"
    assert webauthn.verify_new(RP, credential, CHALLENGE).transports == []


def _tamper(credential: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    copy: dict[str, Any] = json.loads(json.dumps(credential))
    target: Any = copy
    *parents, last = path.split(".")
    for part in parents:
        target = target[part]
    target[last] = value
    return copy


def _truncated(text: str) -> str:
    return text[: len(text) // 2]


def test_a_registration_for_another_challenge_is_refused() -> None:
    credential = key().create(creation())
    refused = rejected_reason(lambda: webauthn.verify_new(RP, credential, b"\x03" * 32))
    assert refused == "wrong_challenge"


@pytest.mark.parametrize(
    ("knobs", "reason"),
    [
        ({"origin": "https://evil.example"}, "wrong_origin"),
        ({"origin": "http://localhost:8001"}, "wrong_origin"),
        ({"origin": "http://user-verification.challenge.example"}, "wrong_origin"),
        ({"rp_id": "evil.example"}, "wrong_rp_id"),
        ({"user_verified": False}, "user_not_verified"),
    ],
)
def test_registration_refusals_name_their_reason(knobs: dict[str, Any], reason: str) -> None:
    credential = key().create(creation(), **knobs)
    assert rejected_reason(lambda: webauthn.verify_new(RP, credential, CHALLENGE)) == reason


class FramedPasskey(SoftPasskey):
    """An authenticator used inside another site's frame: clientDataJSON.crossOrigin is true."""

    def _client_data(self, kind: str, challenge: str, origin: str | None) -> bytes:
        data = {"type": kind, "challenge": challenge, "origin": origin or self.origin}
        return json.dumps({**data, "crossOrigin": True}).encode()


def test_a_cross_origin_registration_is_refused() -> None:
    """Our pages are never framed (frame-ancestors 'none'), so crossOrigin is never true."""
    framed = FramedPasskey(rp_id="localhost", origin="http://localhost:8000")
    credential = framed.create(creation())
    assert rejected_reason(lambda: webauthn.verify_new(RP, credential, CHALLENGE)) == "cross_origin"


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("type", "password"),
        ("id", b64url(b"another id")),
        ("rawId", b64url(b"another id")),
        ("response.attestationObject", "AAAA"),
        ("response.attestationObject", b64url(b"\xa0")),
        ("response.attestationObject", None),
        ("response.attestationObject", 12),
        ("response.clientDataJSON", b64url(b"{}")),
        ("response.clientDataJSON", "!!!"),
        ("response", None),
        ("response", []),
    ],
)
def test_broken_registrations_are_refused_as_malformed(path: str, value: Any) -> None:
    credential = _tamper(key().create(creation()), path, value)
    assert rejected_reason(lambda: webauthn.verify_new(RP, credential, CHALLENGE)) == "malformed"


def test_a_truncated_attestation_object_is_refused() -> None:
    credential = key().create(creation())
    attestation = credential["response"]["attestationObject"]
    broken = _tamper(credential, "response.attestationObject", _truncated(attestation))
    assert rejected_reason(lambda: webauthn.verify_new(RP, broken, CHALLENGE)) == "malformed"


def test_a_registration_whose_id_is_not_the_authenticators_is_refused() -> None:
    """id and rawId agree with each other, but not with the credential id in the
    authenticator data, which is what would be stored."""
    credential = key().create(creation())
    credential["id"] = credential["rawId"] = b64url(b"another credential id")
    assert rejected_reason(lambda: webauthn.verify_new(RP, credential, CHALLENGE)) == "malformed"


def test_bytes_after_the_attestation_object_are_refused() -> None:
    credential = key().create(creation())
    raw = unb64url(credential["response"]["attestationObject"])
    for tail in (b"\x00", b"\xa0", b"trailing"):
        credential["response"]["attestationObject"] = b64url(raw + tail)
        refused = rejected_reason(lambda: webauthn.verify_new(RP, credential, CHALLENGE))
        assert refused == "malformed"


@pytest.mark.parametrize("stray", ["=", " ", "\n", "!", "."])
def test_stray_characters_in_binary_members_are_refused(stray: str) -> None:
    """py_webauthn's decoder skips what is not base64url; ours does not."""
    passkey = key()
    for member in ("clientDataJSON", "attestationObject"):
        credential = passkey.create(creation())
        credential["response"][member] = stray + credential["response"][member]
        refused = rejected_reason(lambda c=credential: webauthn.verify_new(RP, c, CHALLENGE))
        assert refused == "malformed"
    for member in ("id", "rawId"):
        credential = passkey.create(creation())
        credential[member] = stray + credential[member]
        refused = rejected_reason(lambda c=credential: webauthn.verify_new(RP, c, CHALLENGE))
        assert refused == "malformed"


def test_a_challenge_with_stray_characters_is_refused() -> None:
    options = {**creation(), "challenge": "=" + b64url(CHALLENGE)}
    credential = key().create(options)
    assert rejected_reason(lambda: webauthn.challenge_of(credential)) == "bad_base64url"
    refused = rejected_reason(lambda: webauthn.verify_new(RP, credential, CHALLENGE))
    assert refused == "wrong_challenge"


@pytest.mark.parametrize("value", [True, "", 0, None, "false", []])
def test_cross_origin_must_be_absent_or_false(value: Any) -> None:
    class Odd(SoftPasskey):
        def _client_data(self, kind: str, challenge: str, origin: str | None) -> bytes:
            data = {"type": kind, "challenge": challenge, "origin": self.origin}
            return json.dumps({**data, "crossOrigin": value}).encode()

    credential = Odd(rp_id="localhost", origin="http://localhost:8000").create(creation())
    assert rejected_reason(lambda: webauthn.verify_new(RP, credential, CHALLENGE)) == "cross_origin"


def test_a_top_origin_means_a_frame_and_is_refused() -> None:
    class Framed(SoftPasskey):
        def _client_data(self, kind: str, challenge: str, origin: str | None) -> bytes:
            data = {"type": kind, "challenge": challenge, "origin": self.origin}
            return json.dumps({**data, "topOrigin": "https://evil.example"}).encode()

    credential = Framed(rp_id="localhost", origin="http://localhost:8000").create(creation())
    assert rejected_reason(lambda: webauthn.verify_new(RP, credential, CHALLENGE)) == "cross_origin"


def test_client_data_without_cross_origin_is_fine() -> None:
    class Older(SoftPasskey):
        def _client_data(self, kind: str, challenge: str, origin: str | None) -> bytes:
            return json.dumps(
                {"type": kind, "challenge": challenge, "origin": self.origin}
            ).encode()

    credential = Older(rp_id="localhost", origin="http://localhost:8000").create(creation())
    assert webauthn.verify_new(RP, credential, CHALLENGE).sign_count == 0


def test_an_assertion_is_not_a_registration() -> None:
    passkey = key()
    registered(passkey)
    assertion = passkey.get({"challenge": b64url(CHALLENGE)})
    assert rejected_reason(lambda: webauthn.verify_new(RP, assertion, CHALLENGE)) == "malformed"


# --- assertions -------------------------------------------------------------------------------


def _assertion(passkey: SoftPasskey, **knobs: Any) -> dict[str, Any]:
    return passkey.get({"challenge": b64url(CHALLENGE)}, **knobs)


def test_an_assertion_verifies_and_reports_the_counter() -> None:
    passkey = key()
    new = registered(passkey)
    first = webauthn.verify_assertion(RP, _assertion(passkey), CHALLENGE, new.public_key)
    second = webauthn.verify_assertion(RP, _assertion(passkey), CHALLENGE, new.public_key)
    assert (first.sign_count, second.sign_count) == (1, 2)
    assert first.backed_up is False


def test_the_counter_is_left_to_the_caller() -> None:
    """verify_assertion never refuses a counter: the caller compares it atomically."""
    passkey = key()
    new = registered(passkey)
    passkey.sign_count = 10
    webauthn.verify_assertion(RP, _assertion(passkey), CHALLENGE, new.public_key)
    backwards = _assertion(passkey, counter_step=-5)
    assert webauthn.verify_assertion(RP, backwards, CHALLENGE, new.public_key).sign_count == 6


@pytest.mark.parametrize(
    ("knobs", "reason"),
    [
        ({"origin": "https://evil.example"}, "wrong_origin"),
        ({"origin": "https://localhost:8000"}, "wrong_origin"),
        ({"rp_id": "evil.example"}, "wrong_rp_id"),
        ({"rp_id": "localhost.evil.example"}, "wrong_rp_id"),
        ({"user_verified": False}, "user_not_verified"),
    ],
)
def test_assertion_refusals_name_their_reason(knobs: dict[str, Any], reason: str) -> None:
    passkey = key()
    new = registered(passkey)
    assertion = _assertion(passkey, **knobs)
    refused = rejected_reason(
        lambda: webauthn.verify_assertion(RP, assertion, CHALLENGE, new.public_key)
    )
    assert refused == reason


def test_an_assertion_for_another_challenge_is_refused() -> None:
    passkey = key()
    new = registered(passkey)
    assertion = _assertion(passkey)
    refused = rejected_reason(
        lambda: webauthn.verify_assertion(RP, assertion, b"\x04" * 32, new.public_key)
    )
    assert refused == "wrong_challenge"


def test_an_assertion_signed_by_another_key_is_refused() -> None:
    passkey, impostor = key(), key()
    new = registered(passkey)
    impostor.credential_id = passkey.credential_id
    assertion = _assertion(impostor)
    refused = rejected_reason(
        lambda: webauthn.verify_assertion(RP, assertion, CHALLENGE, new.public_key)
    )
    assert refused == "bad_signature"


def test_a_cross_origin_assertion_is_refused() -> None:
    passkey = key()
    new = registered(passkey)
    framed = FramedPasskey(
        rp_id="localhost",
        origin="http://localhost:8000",
        credential_id=passkey.credential_id,
        key=passkey.key,
        sign_count=passkey.sign_count,
    )
    assertion = _assertion(framed)
    refused = rejected_reason(
        lambda: webauthn.verify_assertion(RP, assertion, CHALLENGE, new.public_key)
    )
    assert refused == "cross_origin"


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("type", "public-key-ish"),
        ("id", b64url(b"another")),
        ("response.authenticatorData", b64url(b"short")),
        ("response.authenticatorData", None),
        ("response.signature", b64url(b"not a DER signature")),
        ("response.signature", ""),
        ("response.signature", {"r": 1}),
        ("response.clientDataJSON", base64.b64encode(b"{}").decode()),
        ("response", "x"),
    ],
)
def test_broken_assertions_are_refused(path: str, value: Any) -> None:
    passkey = key()
    new = registered(passkey)
    assertion = _tamper(_assertion(passkey), path, value)
    refused = rejected_reason(
        lambda: webauthn.verify_assertion(RP, assertion, CHALLENGE, new.public_key)
    )
    assert refused in {"malformed", "bad_signature"}


def test_a_registration_is_not_an_assertion() -> None:
    passkey = key()
    credential = passkey.create(creation())
    new = webauthn.verify_new(RP, credential, CHALLENGE)
    refused = rejected_reason(
        lambda: webauthn.verify_assertion(RP, credential, CHALLENGE, new.public_key)
    )
    assert refused == "malformed"


def test_a_stored_public_key_that_is_not_cose_is_refused_not_raised() -> None:
    passkey = key()
    registered(passkey)
    assertion = _assertion(passkey)
    refused = rejected_reason(
        lambda: webauthn.verify_assertion(RP, assertion, CHALLENGE, b"\x00garbage")
    )
    assert refused == "malformed"
