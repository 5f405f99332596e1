"""One-time recovery codes: generation, normalisation and salted hashing, free of Django.

Codes use only characters that cannot be misread (no 0/O, 1/I/L). Dropping those
five from A-Z and 0-9 leaves 31 symbols, so 16 characters carry 16 * log2(31) ~ 79.3
bits of entropy: far beyond any guessing, online or offline.
"""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import Argon2Error

CODES_PER_SET = 10
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 16
GROUP_LENGTH = 4

# Generous enough for any pasted code with stray spaces, small enough to be free.
_MAX_RAW_LENGTH = 64
_ALPHABET_SET = frozenset(ALPHABET)

# Argon2id at deliberately low cost. A slow hash protects low-entropy passwords; these
# codes are ~79 random bits, so no hash speed makes them guessable (2**79 trials), while
# the salt keeps equal codes from hashing alike. Cheap matters here: a first factor hashes
# ten fresh codes and sign-in checks a code against up to ten stored hashes. At 256 KiB a
# hash takes ~0.2 ms on the benchmark machine (8 MiB took ~5 ms, bench/RESULTS.md).
# Hashes stored under earlier parameters still verify: Argon2 records them in the hash.
_HASHER = PasswordHasher(time_cost=1, memory_cost=256, parallelism=1)


class InvalidRecoveryCode(ValueError):
    """The entered text cannot be a recovery code; the message is safe to show to people."""

    default_message = "Enter a recovery code like ABCD-EFGH-JKMN-PQRS."

    def __init__(self, message: str = default_message) -> None:
        super().__init__(message)


def _format(code: str) -> str:
    """Insert hyphens every four characters, the form shown to people."""
    return "-".join(code[i : i + GROUP_LENGTH] for i in range(0, len(code), GROUP_LENGTH))


def generate_codes(count: int = CODES_PER_SET) -> list[str]:
    """Return `count` distinct fresh codes like ABCD-EFGH-JKMN-PQRS, drawn from `secrets`.

    A duplicate is astronomically unlikely, but a set with one would silently hold
    fewer usable codes than promised, so duplicates are simply redrawn.
    """
    codes: list[str] = []
    while len(codes) < count:
        code = _format("".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH)))
        if code not in codes:
            codes.append(code)
    return codes


def normalize(raw: str) -> str:
    """Return the 16-character canonical form, ignoring case, spaces and hyphens.

    Non-ASCII text is refused before upper-casing, because str.upper() maps some
    non-ASCII letters onto ASCII ones (U+017F LONG S becomes "S").
    """
    if len(raw) > _MAX_RAW_LENGTH:
        raise InvalidRecoveryCode()
    code = raw.replace(" ", "").replace("-", "")
    if not code.isascii():
        raise InvalidRecoveryCode()
    code = code.upper()
    if len(code) != CODE_LENGTH or not _ALPHABET_SET.issuperset(code):
        raise InvalidRecoveryCode()
    return code


def hash_code(normalized: str) -> str:
    """Return a salted Argon2id hash of the code, the only form that is ever stored.

    The input is normalised again so a formatted code hashes the same as its canonical form.
    """
    return _HASHER.hash(normalize(normalized))


def matches(normalized: str, stored_hash: str) -> bool:
    """Tell whether the code matches `stored_hash`; False, never an error, for bad input.

    A corrupt stored hash must not turn a sign-in attempt into a server error.
    """
    try:
        return _HASHER.verify(stored_hash, normalize(normalized))
    except (Argon2Error, ValueError, TypeError):  # ValueError covers InvalidHashError
        return False
