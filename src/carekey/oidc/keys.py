"""The RS256 key that signs ID tokens: from CAREKEY_OIDC_PRIVATE_KEY, or generated into
the data dir in development (mode 0600, like the other development keys)."""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

KEY_SIZE = 2048


def generate_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_SIZE)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def check_pem(pem: str) -> str:
    """The PEM if it is an RSA private key of at least 2048 bits, else ValueError."""
    try:
        key = serialization.load_pem_private_key(pem.encode(), password=None)
    except (TypeError, ValueError) as exc:  # not PEM, or encrypted with a passphrase
        raise ValueError("must be an unencrypted RSA private key (PEM)") from exc
    if not isinstance(key, rsa.RSAPrivateKey) or key.key_size < KEY_SIZE:
        raise ValueError("must be an RSA private key of at least 2048 bits (PEM)")
    return pem


def load_or_create(path: Path) -> str:
    """The development key, created once with mode 0600 and kept across restarts.

    Written to a private temporary file and hard-linked into place, as the Fernet key
    is: two processes starting together end up with the same key, never a partial one.
    """
    if path.exists():
        return check_pem(path.read_text())
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w") as handle:
            handle.write(generate_pem())
        with contextlib.suppress(FileExistsError):  # another process won: use its key
            os.link(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return check_pem(path.read_text())
