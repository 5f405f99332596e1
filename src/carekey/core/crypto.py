"""Encryption of secrets at rest (TOTP seeds) with Fernet keys that can be rotated.

Keys are listed newest first: the newest encrypts, every key decrypts, so a new key
can be introduced, old tokens re-encrypted with `rotate`, and the old key retired.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Sequence
from pathlib import Path

from cryptography.fernet import Fernet, MultiFernet


class SecretBox:
    """Encrypts and decrypts text with the newest of several Fernet keys.

    `decrypt` raises cryptography.fernet.InvalidToken when no key fits or the token
    was tampered with.
    """

    def __init__(self, keys: Sequence[str]) -> None:
        if isinstance(keys, str):
            raise ValueError("Pass a list of Fernet keys, not one string; see parse_keys().")
        if not keys:
            raise ValueError("At least one Fernet key is required to encrypt secrets.")
        fernets: list[Fernet] = []
        for position, key in enumerate(keys, start=1):
            try:
                fernets.append(Fernet(key))
            except (ValueError, TypeError):
                # The key itself is never echoed: error messages end up in logs.
                raise ValueError(
                    f"Fernet key #{position} is invalid: it must be 32 url-safe "
                    "base64-encoded bytes (generate one with Fernet.generate_key())."
                ) from None
        self._multi = MultiFernet(fernets)

    def encrypt(self, plaintext: str) -> str:
        """Encrypt with the newest key."""
        return self._multi.encrypt(plaintext.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        """Decrypt with whichever configured key made the token."""
        return self._multi.decrypt(token.encode("ascii")).decode("utf-8")

    def rotate(self, token: str) -> str:
        """Re-encrypt a token under the newest key so older keys can be retired."""
        return self._multi.rotate(token.encode("ascii")).decode("ascii")


def parse_keys(value: str) -> list[str]:
    """Split a comma-separated setting (e.g. an environment variable) into keys."""
    return [item.strip() for item in value.split(",") if item.strip()]


def load_or_create_key_file(path: Path) -> str:
    """Return the Fernet key stored at `path`, creating the file (mode 0600) on first use.

    The key is written to a private temporary file opened with O_CREAT | O_EXCL and
    mode 0600, then hard-linked into place. The key file therefore never exists with
    wider permissions or partial content, and when two processes start together the
    link of the loser fails and both end up with the same key.
    """
    try:
        return _read_key(path)
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    key = Fernet.generate_key().decode("ascii")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(key + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.link(temporary, path)
    except FileExistsError:
        return _read_key(path)
    finally:
        temporary.unlink(missing_ok=True)
    return key


def _read_key(path: Path) -> str:
    """Read and check a key file, so a damaged file fails loudly at start-up."""
    content = path.read_bytes()
    try:
        key = content.decode("ascii").strip()
        Fernet(key)
    except (ValueError, TypeError):
        raise ValueError(f"{path} does not contain a valid Fernet key.") from None
    return key
