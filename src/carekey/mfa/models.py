"""Authenticator factors and recovery codes: ciphertext and hashes only."""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from carekey import clock

NAME_MAX_LENGTH = 64


class Factor(models.Model):
    class Status(models.TextChoices):
        UNVERIFIED = "unverified", _("Not verified")
        VERIFIED = "verified", _("Verified")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="factors"
    )
    friendly_name = models.CharField(max_length=NAME_MAX_LENGTH)
    factor_type = models.CharField(max_length=10, default="totp", editable=False)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.UNVERIFIED)
    secret_ciphertext = models.TextField(editable=False)
    # The newest TOTP step accepted: a code of this step or an older one is a replay.
    last_accepted_step = models.BigIntegerField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(default=clock.now)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["created_at"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                "user", Lower("friendly_name"), name="factor_name_unique_per_user"
            ),
        ]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["user", "status"], name="factor_user_status_idx"),
            models.Index(fields=["status", "created_at"], name="factor_status_created_idx"),
        ]

    def __str__(self) -> str:
        return self.friendly_name

    @property
    def is_verified(self) -> bool:
        return self.status == self.Status.VERIFIED


class RecoveryCode(models.Model):
    """One unused recovery code, as a salted hash; using it deletes the row."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="recovery_codes"
    )
    code_hash = models.CharField(max_length=200)
    created_at = models.DateTimeField(default=clock.now)

    def __str__(self) -> str:
        return f"recovery code of user {self.user_id}"


class Passkey(models.Model):
    """A WebAuthn credential: the factor row holds its name, status and times; this row
    holds the public key (there is no secret) and what the authenticator reported."""

    factor = models.OneToOneField(
        Factor, primary_key=True, on_delete=models.CASCADE, related_name="passkey"
    )
    credential_id = models.CharField(max_length=1400, unique=True, editable=False)  # base64url
    user_handle = models.CharField(max_length=100, editable=False)  # base64url, random
    public_key = models.BinaryField(editable=False)  # COSE
    sign_count = models.BigIntegerField(default=0, editable=False)
    transports = models.JSONField(default=list, blank=True, editable=False)
    aaguid = models.CharField(max_length=36, blank=True, editable=False)
    backup_eligible = models.BooleanField(default=False, editable=False)
    backed_up = models.BooleanField(default=False, editable=False)
    # Set when its counter went backwards (a copy exists): refused for good until the
    # patient removes it, since the copy and the original are indistinguishable after.
    refused_as_copy_at = models.DateTimeField(null=True, blank=True, editable=False)

    def __str__(self) -> str:
        return f"passkey {self.factor_id}"


class PasskeyChallenge(models.Model):
    """A WebAuthn challenge, in the database so any server may finish what another began.

    Bound to one browser session (a hash of a random value kept in that session), used
    once (deleting the row is the claim), and dead after five minutes.
    """

    class Purpose(models.TextChoices):
        REGISTER = "register"
        AUTHENTICATE = "authenticate"

    challenge = models.CharField(max_length=64, unique=True)  # base64url
    binding = models.CharField(max_length=64)
    purpose = models.CharField(max_length=12, choices=Purpose.choices)
    # A registration's user.id, stored with the credential if the browser returns one.
    user_handle = models.CharField(max_length=100, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE
    )
    expires_at = models.DateTimeField()

    class Meta:
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["binding"], name="passkey_challenge_binding_idx"),
            models.Index(fields=["expires_at"], name="passkey_challenge_expiry_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.purpose} challenge"
