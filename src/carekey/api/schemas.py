"""Request and response bodies of /api/v1 (CONTRACT §3)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from ninja import Schema
from pydantic import ConfigDict, Field, StrictBool, StrictInt


class ErrorDetail(Schema):
    code: str = Field(description="One of ErrorCode (api/error_codes.py); the document's enum.")
    message: str = Field(description="A sentence for a person, in the patient's language.")


class ErrorOut(Schema):
    error: ErrorDetail


class UserOut(Schema):
    id: int
    email: str
    name: str


class SessionOut(Schema):
    user: UserOut
    aal: Literal["aal1", "aal2"]
    next_level: Literal["aal1", "aal2"]
    locked: bool
    reauthenticated_until: datetime | None


class SignInIn(Schema):
    model_config = ConfigDict(extra="forbid")

    # PostgreSQL text cannot hold NUL: refuse it here as bad input, not as a server error.
    email: str = Field(min_length=1, max_length=254, pattern=r"^[^\x00]*$")
    password: str = Field(min_length=1, max_length=1024)


class TotpOut(Schema):
    qr_code: str
    secret: str
    uri: str


class FactorOut(Schema):
    id: UUID
    factor_type: Literal["totp", "webauthn"]
    friendly_name: str
    status: Literal["unverified", "verified"]
    created_at: datetime
    updated_at: datetime
    last_used_at: datetime | None


class EnrolledFactorOut(FactorOut):
    totp: TotpOut


class VerifiedFactorOut(FactorOut):
    recovery_codes: list[str] | None = None


class FactorListOut(Schema):
    factors: list[FactorOut]


class EnrollIn(Schema):
    model_config = ConfigDict(extra="forbid")

    factor_type: Literal["totp"]
    friendly_name: str | None = Field(default=None, max_length=1000)


class CodeIn(Schema):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(max_length=1000)


class SecondFactorIn(Schema):
    model_config = ConfigDict(extra="forbid")

    code: str | None = Field(default=None, max_length=1000)
    recovery_code: str | None = Field(default=None, max_length=1000)


class RecoveryCodesOut(Schema):
    recovery_codes: list[str]


class RemainingOut(Schema):
    remaining: int


class AppLockOut(Schema):
    enabled: bool
    timeout_minutes: int
    unlock_method: Literal["code", "password"]


class AppLockIn(Schema):
    """Allowed values are checked by the service, which words the refusal for people."""

    model_config = ConfigDict(extra="forbid")

    enabled: StrictBool
    # The document's enum and description come from applock.offered_lock_minutes (openapi.py).
    timeout_minutes: StrictInt
    unlock_method: str = Field(max_length=20, description='"code" or "password"')


class DeviceSessionOut(Schema):
    id: str = Field(
        description="An opaque device id for DELETE /sessions/{device_id}; no part of any "
        "session key."
    )
    current: bool
    user_agent: str
    ip: str | None
    created_at: datetime | None
    last_active_at: datetime | None


class SessionListOut(Schema):
    sessions: list[DeviceSessionOut]


class EventOut(Schema):
    id: int
    type: str
    created_at: datetime
    ip: str | None
    user_agent: str
    detail: dict[str, Any]


class EventListOut(Schema):
    events: list[EventOut]


class UnlockIn(Schema):
    model_config = ConfigDict(extra="forbid")

    code: str | None = Field(default=None, max_length=1000)
    password: str | None = Field(default=None, max_length=1024)


class PublicKeyOptionsOut(Schema):
    publicKey: dict[str, Any] = Field(
        description="PublicKeyCredentialCreationOptions or PublicKeyCredentialRequestOptions in "
        "their JSON form (PublicKeyCredential.parseCreationOptionsFromJSON / "
        "parseRequestOptionsFromJSON); the challenge is single use and expires in 5 minutes."
    )


class PasskeyOptionsIn(Schema):
    model_config = ConfigDict(extra="forbid")

    friendly_name: str | None = Field(
        default=None, max_length=1000, description="Checked now, so a taken name fails early."
    )


class PasskeyIn(Schema):
    model_config = ConfigDict(extra="forbid")

    credential: Any = Field(
        description="The browser's PublicKeyCredential as JSON (its toJSON()); checked by "
        "the server, any malformed value is 422 passkey_verification_failed."
    )
    friendly_name: str | None = Field(default=None, max_length=1000)


class PasskeyCredentialIn(Schema):
    model_config = ConfigDict(extra="forbid")

    credential: Any = Field(description="The browser's PublicKeyCredential as JSON (toJSON()).")


class PasswordChangeIn(Schema):
    model_config = ConfigDict(extra="forbid")

    current_password: str = Field(min_length=1, max_length=1024)
    new_password: str = Field(
        max_length=1024,
        description="At least 10 characters, not common, not only numbers, not like the email.",
    )


class PasswordResetIn(Schema):
    model_config = ConfigDict(extra="forbid")

    email: str = Field(min_length=1, max_length=254, pattern=r"^[^\x00]*$")


class PasswordResetConfirmIn(Schema):
    model_config = ConfigDict(extra="forbid")

    token: str = Field(
        min_length=1, max_length=100, description="The last part of the emailed link's path."
    )
    new_password: str = Field(max_length=1024)


class MessageOut(Schema):
    message: str
