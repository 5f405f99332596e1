"""The passkey kind (WebAuthn): registered through the factor-kind seam beside TOTP.

A passkey is verified the moment the browser returns it, so it has no setup step to
show again and no secret to seal: `start` is never called by the TOTP enrollment path
(mfa/passkeys.py registers passkeys), and a passkey enrollment never waits in a session.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from carekey.accounts.models import User
from carekey.errors import StrOrPromise
from carekey.mfa import kinds

TYPE = "webauthn"
DEFAULT_NAME = "Passkey"  # stored, so not translated


class PasskeyKind:
    type = TYPE
    label: StrOrPromise = _("Passkey")

    def start(self, user: User) -> kinds.Started:
        raise NotImplementedError("passkeys are registered with mfa.passkeys.register")

    def setup(self, user: User, sealed_secret: str) -> Any:
        return None


PASSKEY = PasskeyKind()
kinds.register(PASSKEY)
