"""Password hashing: Argon2id at OWASP's profile, with a cap on concurrent hashes.

Django's default Argon2 (m=100 MiB, p=8) let a server do about 2 sign-ins a second and
took 800 MiB more memory under 8 clients: a handful of sign-in attempts could starve a
small host. OWASP's Password Storage Cheat Sheet lists Argon2id with m=19 MiB, t=2, p=1
as a minimum that resists GPU cracking at a fraction of the cost. Hashes keep Django's
format ("argon2$argon2id$v=19$m=...") and the same algorithm name, so this hasher verifies
hashes made with the old parameters and `must_update` has them rehashed at the next
successful sign-in.
"""

from __future__ import annotations

import threading

from django.contrib.auth.hashers import Argon2PasswordHasher, PBKDF2PasswordHasher

from carekey import conf

_slots_lock = threading.Lock()
_slots: dict[int, threading.BoundedSemaphore] = {}


def hash_slots() -> threading.BoundedSemaphore:
    """The one semaphore of this process, sized by conf.max_concurrent_hashes().

    One per process (gunicorn workers are processes), shared by every hasher instance, so
    a burst of sign-ins waits its turn instead of allocating 19 MiB per request at once.
    Keyed by size so a test that changes the setting gets a semaphore of that size.
    """
    size = int(conf.max_concurrent_hashes())
    with _slots_lock:
        if size not in _slots:
            _slots[size] = threading.BoundedSemaphore(size)
        return _slots[size]


class OwaspArgon2PasswordHasher(Argon2PasswordHasher):
    """Argon2id, m=19456 KiB (19 MiB), t=2, p=1: OWASP's first recommended profile.

    `algorithm` stays "argon2": one hasher then verifies both old and new hashes, so every
    verification (the old 100 MiB ones above all) passes through the semaphore.
    """

    memory_cost = 19456
    time_cost = 2
    parallelism = 1

    def encode(self, password: str, salt: str) -> str:
        """Hash under the per-process cap on concurrent hashes."""
        with hash_slots():
            return super().encode(password, salt)

    def verify(self, password: str, encoded: str) -> bool:
        """Verify (a full Argon2 run, with the parameters stored in the hash) under the cap."""
        with hash_slots():
            return super().verify(password, encoded)


class ClientSecretHasher(PBKDF2PasswordHasher):
    """For OpenID clients' secrets only (django-oauth-toolkit's CLIENT_SECRET_HASHER).

    A slow hash protects what a person chose and could be guessed. A client secret is 128
    random characters from 62 (about 760 bits) made by the toolkit: no guess ever lands,
    so hashing it at the password's cost (Argon2id, about 27 ms and 19 MiB) bought nothing
    and made up half of every token exchange. PBKDF2-HMAC-SHA256 with a salt and a
    thousand rounds keeps a stolen table useless at well under a millisecond. Secrets
    hashed before still verify with the hasher that made them (listed first).
    """

    algorithm = "carekey_client_secret"
    iterations = 1000
