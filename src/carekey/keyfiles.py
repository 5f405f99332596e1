"""Development keys kept in the data directory, so a restart keeps sessions and secrets.

The file is created with O_EXCL and mode 0600 in one step: no window in which another
user could read it, and two processes starting together agree on one key.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from cryptography.fernet import Fernet


def _new_value(kind: str) -> str:
    if kind == "fernet":
        return Fernet.generate_key().decode("ascii")
    if kind == "django":
        return secrets.token_urlsafe(50)
    raise ValueError(f"unknown key kind {kind!r}")


def load_or_create_text_file(path: Path, kind: str) -> str:
    """Return the key stored at `path`, creating it (mode 0600) on first use."""
    try:
        return path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    value = _new_value(kind)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="ascii").strip()
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(value + "\n")
    return value
