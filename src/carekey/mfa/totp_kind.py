"""The TOTP kind (RFC 6238 authenticator apps): a secret sealed at rest, and the setup a
patient needs to add it to an app (the otpauth:// URI and the key in groups). The faces
render the QR code from the URI; nothing here renders anything."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from carekey import conf
from carekey.accounts.models import User
from carekey.core import totp
from carekey.errors import StrOrPromise
from carekey.mfa import kinds, vault


@dataclass(frozen=True)
class TotpSetup:
    secret: str  # for typing the key in by hand
    uri: str  # otpauth://, for the QR code and "Open in your authenticator app"

    @property
    def secret_groups(self) -> list[str]:
        return totp.group_secret(self.secret).split()


class TotpKind:
    type = "totp"
    label: StrOrPromise = _("Authenticator app")

    def start(self, user: User) -> kinds.Started:
        secret = totp.generate_secret()
        return kinds.Started(vault.seal(secret), self._setup(user, secret))

    def setup(self, user: User, sealed_secret: str) -> TotpSetup:
        return self._setup(user, vault.unseal(sealed_secret))

    @staticmethod
    def _setup(user: User, secret: str) -> TotpSetup:
        return TotpSetup(secret, totp.provisioning_uri(secret, user.email, conf.issuer()))


TOTP = TotpKind()
kinds.register(TOTP)
