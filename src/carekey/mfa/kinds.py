"""The factor-kind seam: what each kind of factor brings, looked up by `Factor.factor_type`.

The rules every factor shares (the cap, names, reauthentication before adding, recovery
codes with the first, what follows a change) live in `factors`; a kind only says how it
starts an enrollment and what setup data its faces show. A new kind (passkeys) registers
here and leaves the TOTP code alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from carekey.accounts.models import User
from carekey.errors import StrOrPromise


@dataclass(frozen=True)
class Started:
    """A new enrollment: what to store (sealed) and what to show the patient (setup)."""

    sealed_secret: str
    setup: Any


class FactorKind(Protocol):
    @property
    def type(self) -> str:
        """The Factor.factor_type value."""
        ...

    @property
    def label(self) -> StrOrPromise:
        """The Type column: "Authenticator app"."""
        ...

    def start(self, user: User) -> Started:
        """Create the secret or challenge of a new factor of this kind."""
        ...

    def setup(self, user: User, sealed_secret: str) -> Any:
        """The setup data again, for the session that started the enrollment."""
        ...


_KINDS: dict[str, FactorKind] = {}


def register(kind: FactorKind) -> FactorKind:
    _KINDS[kind.type] = kind
    return kind


def get(type_: str) -> FactorKind:
    """The registered kind (each registers itself when its module loads: MfaConfig.ready)."""
    return _KINDS[type_]


def registered() -> list[str]:
    return sorted(_KINDS)


DEFAULT = "totp"
