"""WebAuthn glue: py_webauthn's options and checks in CareKey's terms, and no Django.

Everything a browser sends is untrusted: any way py_webauthn (or the CBOR and base64
decoding under it) refuses or trips over a credential becomes one `PasskeyRejected`,
so a malformed body is a clear refusal and never a server error.
"""

from __future__ import annotations

import io
import json
import re
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import cbor2
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url, parse_client_data_json
from webauthn.helpers.structs import (
    AttestationConveyancePreference,
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    CredentialDeviceType,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

# A registration response is a few hundred bytes; anything near this is not a passkey.
MAX_CREDENTIAL_CHARS = 64 * 1024
CHALLENGE_BYTES = 32
TIMEOUT_MS = 5 * 60 * 1000  # the challenge's own lifetime: 5 minutes
KNOWN_TRANSPORTS = {t.value for t in AuthenticatorTransport}
_DEFAULT_PORTS = {"http": 80, "https": 443}
_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")


class PasskeyRejected(Exception):
    """The credential does not verify; `reason` says why, for the audit trail only."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class RelyingParty:
    id: str  # the host of the public URL
    name: str
    origin: str  # scheme://host[:port], the only origin accepted

    @classmethod
    def from_url(cls, public_url: str, name: str) -> RelyingParty:
        """The origin as a browser serialises it (clientDataJSON.origin): lower case, no
        credentials, no path, and no port when it is the scheme's default, so a setting
        written "https://CareKey.example.org:443/" still matches what browsers send."""
        parts = urlsplit(public_url.strip())
        scheme = parts.scheme.lower()
        host = parts.hostname or "localhost"
        try:
            port = parts.port
        except ValueError:
            port = None
        shown = f"[{host}]" if ":" in host else host
        if port is not None and port != _DEFAULT_PORTS.get(scheme):
            shown = f"{shown}:{port}"
        return cls(id=host, name=name, origin=f"{scheme}://{shown}")


@dataclass(frozen=True)
class NewCredential:
    credential_id: bytes
    public_key: bytes
    sign_count: int
    aaguid: str
    transports: list[str]
    backup_eligible: bool
    backed_up: bool


@dataclass(frozen=True)
class Assertion:
    sign_count: int
    backed_up: bool


def new_challenge() -> bytes:
    return secrets.token_bytes(CHALLENGE_BYTES)


def encode(raw: bytes) -> str:
    return bytes_to_base64url(raw)


def decode(text: str) -> bytes:
    """Strict base64url (padding optional): the standard decoder skips characters outside
    the alphabet, so junk such as a NUL, a space or "!!" would otherwise decode to
    something."""
    if not isinstance(text, str) or not _BASE64URL.fullmatch(text.rstrip("=")):
        raise PasskeyRejected("bad_base64url")
    try:
        return base64url_to_bytes(text.rstrip("="))
    except (ValueError, TypeError) as exc:
        raise PasskeyRejected("bad_base64url") from exc


def _descriptors(ids: list[bytes]) -> list[PublicKeyCredentialDescriptor]:
    return [PublicKeyCredentialDescriptor(id=raw) for raw in ids]


def creation_options(
    rp: RelyingParty,
    *,
    challenge: bytes,
    user_handle: bytes,
    user_name: str,
    display_name: str,
    exclude: list[bytes],
) -> dict[str, Any]:
    """Options for navigator.credentials.create(): a discoverable credential, user
    verification required, no attestation (we trust no vendor list, so ask for none)."""
    options = generate_registration_options(
        rp_id=rp.id,
        rp_name=rp.name,
        user_id=user_handle,
        user_name=user_name,
        user_display_name=display_name or user_name,
        challenge=challenge,
        timeout=TIMEOUT_MS,
        attestation=AttestationConveyancePreference.NONE,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            user_verification=UserVerificationRequirement.REQUIRED,
        ),
        exclude_credentials=_descriptors(exclude),
    )
    result: dict[str, Any] = json.loads(options_to_json(options))
    return result


def request_options(rp: RelyingParty, *, challenge: bytes, allow: list[bytes]) -> dict[str, Any]:
    """Options for navigator.credentials.get(); no `allow` list means "any passkey of
    this site" (discoverable sign-in, and the conditional UI of the email field)."""
    options = generate_authentication_options(
        rp_id=rp.id,
        challenge=challenge,
        timeout=TIMEOUT_MS,
        allow_credentials=_descriptors(allow),
        user_verification=UserVerificationRequirement.REQUIRED,
    )
    result: dict[str, Any] = json.loads(options_to_json(options))
    return result


def parse(raw: object) -> dict[str, Any]:
    """The browser's credential as a JSON object (text or already parsed), size-capped."""
    if isinstance(raw, str):
        if len(raw) > MAX_CREDENTIAL_CHARS:
            raise PasskeyRejected("too_large")
        try:
            raw = json.loads(raw)
        except ValueError as exc:
            raise PasskeyRejected("not_json") from exc
    if not isinstance(raw, dict):
        raise PasskeyRejected("not_an_object")
    if len(json.dumps(raw)) > MAX_CREDENTIAL_CHARS:
        raise PasskeyRejected("too_large")
    return raw


def credential_id_of(credential: dict[str, Any]) -> bytes:
    raw_id = credential.get("rawId", credential.get("id"))
    if not isinstance(raw_id, str) or not raw_id:
        raise PasskeyRejected("no_credential_id")
    return decode(raw_id)


def challenge_of(credential: dict[str, Any]) -> bytes:
    """The challenge the browser says it signed (checked again by py_webauthn)."""
    response = credential.get("response")
    client_data = response.get("clientDataJSON") if isinstance(response, dict) else None
    if not isinstance(client_data, str):
        raise PasskeyRejected("no_client_data")
    raw = decode(client_data)
    try:
        parse_client_data_json(raw)
        answered = json.loads(raw)["challenge"]
    except Exception as exc:
        raise PasskeyRejected("bad_client_data") from exc
    return decode(answered)  # strictly: py_webauthn's decoder skips stray characters


def user_handle_of(credential: dict[str, Any]) -> bytes | None:
    response = credential.get("response")
    handle = response.get("userHandle") if isinstance(response, dict) else None
    return decode(handle) if isinstance(handle, str) and handle else None


def _transports(credential: dict[str, Any]) -> list[str]:
    response = credential.get("response")
    listed = response.get("transports") if isinstance(response, dict) else None
    if not isinstance(listed, list):
        return []
    return [t for t in listed if isinstance(t, str) and t in KNOWN_TRANSPORTS][:8]


_REGISTRATION_PARTS = (
    ("id",),
    ("rawId",),
    ("response", "clientDataJSON"),
    ("response", "attestationObject"),
)
_ASSERTION_PARTS = (
    ("id",),
    ("rawId",),
    ("response", "clientDataJSON"),
    ("response", "authenticatorData"),
    ("response", "signature"),
)


def _require_base64url(credential: dict[str, Any], parts: tuple[tuple[str, ...], ...]) -> None:
    """Each binary member present and strictly base64url. py_webauthn's decoder skips
    characters outside the alphabet, so " " + a valid value would otherwise pass."""
    for path in parts:
        value: Any = credential
        for name in path:
            value = value.get(name) if isinstance(value, dict) else None
        try:
            if not isinstance(value, str) or not decode(value):
                raise PasskeyRejected("empty")
        except PasskeyRejected as exc:
            raise PasskeyRejected("malformed") from exc


def _require_one_cbor_item(raw: bytes) -> None:
    """The attestation object is one CBOR map and nothing after it (py_webauthn reads the
    first item and ignores the rest, so bytes appended to a valid one would pass)."""
    stream = io.BytesIO(raw)
    try:
        cbor2.CBORDecoder(stream).decode()
    except Exception as exc:
        raise PasskeyRejected("malformed") from exc
    if stream.tell() != len(raw):
        raise PasskeyRejected("malformed")


def verify_new(rp: RelyingParty, credential: dict[str, Any], challenge: bytes) -> NewCredential:
    """Check a registration: challenge, origin, RP ID hash, user verification, and that the
    credential's id is the one the authenticator put in its data (what is stored)."""
    _require_base64url(credential, _REGISTRATION_PARTS)
    _require_one_cbor_item(decode(credential["response"]["attestationObject"]))
    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp.id,
            expected_origin=rp.origin,
            require_user_verification=True,
        )
    except Exception as exc:
        raise PasskeyRejected(_reason(exc)) from exc
    _check_client_data(credential)
    if decode(credential["rawId"]) != verified.credential_id:
        raise PasskeyRejected("malformed")
    return NewCredential(
        credential_id=verified.credential_id,
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        aaguid=verified.aaguid,
        transports=_transports(credential),
        backup_eligible=verified.credential_device_type == CredentialDeviceType.MULTI_DEVICE,
        backed_up=verified.credential_backed_up,
    )


def verify_assertion(
    rp: RelyingParty, credential: dict[str, Any], challenge: bytes, public_key: bytes
) -> Assertion:
    """Check a sign-in: challenge, origin, RP ID hash, user verification and signature.

    The counter is left to the caller (`counter_regressed`), which must compare it with
    the stored one atomically and audit a regression on its own.
    """
    _require_base64url(credential, _ASSERTION_PARTS)
    try:
        verified = verify_authentication_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp.id,
            expected_origin=rp.origin,
            credential_public_key=public_key,
            credential_current_sign_count=0,
            require_user_verification=True,
        )
    except Exception as exc:
        raise PasskeyRejected(_reason(exc)) from exc
    _check_client_data(credential)
    return Assertion(sign_count=verified.new_sign_count, backed_up=verified.credential_backed_up)


def counter_regressed(stored: int, received: int) -> bool:
    """WebAuthn §6.1.1: a counter that does not grow (when either is non-zero) may be a clone."""
    return (stored > 0 or received > 0) and received <= stored


def _check_client_data(credential: dict[str, Any]) -> None:
    """What py_webauthn lets pass. It does not look at crossOrigin: our pages are never
    framed (frame-ancestors 'none'), so a ceremony run inside another site's frame is
    refused (crossOrigin absent or false, no topOrigin). And its decoder skips stray
    characters, so the challenge must be strict base64url."""
    client_data = json.loads(decode(credential["response"]["clientDataJSON"]))
    if client_data.get("crossOrigin", False) is not False or "topOrigin" in client_data:
        raise PasskeyRejected("cross_origin")
    try:
        decode(client_data["challenge"])
    except PasskeyRejected as exc:
        raise PasskeyRejected("wrong_challenge") from exc


# py_webauthn's refusals, by how their messages begin (the rest may quote what the browser
# sent, so a crafted origin must not be able to choose the reason).
_REASONS = (
    ("User verification is required", "user_not_verified"),
    ("Client data challenge was not expected", "wrong_challenge"),
    ("Unexpected client data origin", "wrong_origin"),
    ("Unexpected RP ID hash", "wrong_rp_id"),
    ("Could not verify authentication signature", "bad_signature"),
    ("User was not present", "user_not_present"),
    ("User presence was required", "user_not_present"),
)


def _reason(exc: Exception) -> str:
    text = str(exc)
    return next((reason for start, reason in _REASONS if text.startswith(start)), "malformed")
