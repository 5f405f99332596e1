"""The configured SecretBox: TOTP secrets go into the database only as Fernet tokens."""

from __future__ import annotations

from functools import lru_cache

from django.conf import settings

from carekey.core.crypto import SecretBox


@lru_cache(maxsize=4)
def _box(keys: tuple[str, ...]) -> SecretBox:
    return SecretBox(keys)


def box() -> SecretBox:
    return _box(tuple(settings.CAREKEY_ENCRYPTION_KEYS))


def seal(secret: str) -> str:
    return box().encrypt(secret)


def unseal(ciphertext: str) -> str:
    return box().decrypt(ciphertext)
