"""The password hasher: OWASP's Argon2id profile, old hashes still verify, a per-process cap."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import argon2
import pytest
from django.contrib.auth.hashers import (
    Argon2PasswordHasher,
    check_password,
    get_hasher,
    identify_hasher,
    make_password,
)

from carekey.accounts.hashers import OwaspArgon2PasswordHasher, hash_slots

PASSWORD = "correct-horse-battery-9"
OURS = "carekey.accounts.hashers.OwaspArgon2PasswordHasher"
DJANGOS = "django.contrib.auth.hashers.Argon2PasswordHasher"


def test_owasp_argon2id_parameters() -> None:
    hasher = OwaspArgon2PasswordHasher()
    assert (hasher.memory_cost, hasher.time_cost, hasher.parallelism) == (19456, 2, 1)
    decoded = hasher.decode(make_password(PASSWORD, hasher=hasher))
    assert decoded["variety"] == "argon2id"
    assert (decoded["memory_cost"], decoded["time_cost"], decoded["parallelism"]) == (19456, 2, 1)


def test_it_is_the_default_and_hashes_keep_djangos_format() -> None:
    assert isinstance(get_hasher("default"), OwaspArgon2PasswordHasher)
    assert make_password(PASSWORD).startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")


def test_old_hashes_verify_through_it_and_ask_for_an_update() -> None:
    old = make_password(PASSWORD, hasher=Argon2PasswordHasher())
    assert "$m=102400,t=2,p=8$" in old
    assert isinstance(identify_hasher(old), OwaspArgon2PasswordHasher)
    updated: list[str] = []
    assert check_password(PASSWORD, old, setter=updated.append)
    assert updated == [PASSWORD]  # Django's setter rehashes with the default hasher
    assert not OwaspArgon2PasswordHasher().must_update(make_password(PASSWORD))


def test_djangos_hasher_listed_after_would_take_over_verification(settings: Any) -> None:
    """Why settings.py lists ours alone: Django verifies with the last hasher of a name."""
    settings.PASSWORD_HASHERS = [OURS, DJANGOS]
    assert type(identify_hasher(make_password(PASSWORD))) is Argon2PasswordHasher


def in_flight_peak(
    monkeypatch: pytest.MonkeyPatch, target: Any, name: str, run: Callable[[], object]
) -> int:
    """Run `run` in 6 threads with `target.name` blocked; return how many got in at once."""
    inside, peak, release = [0], [0], threading.Event()
    lock = threading.Lock()
    original = getattr(target, name)

    def blocked(*args: Any, **kwargs: Any) -> Any:
        with lock:
            inside[0] += 1
            peak[0] = max(peak[0], inside[0])
        release.wait(10)
        with lock:
            inside[0] -= 1
        return original(*args, **kwargs)

    monkeypatch.setattr(target, name, blocked)
    threads = [threading.Thread(target=run) for _ in range(6)]
    for thread in threads:
        thread.start()
    time.sleep(0.3)  # time enough for every thread the cap lets through to get in
    release.set()
    for thread in threads:
        thread.join(10)
    return peak[0]


@pytest.mark.parametrize("cap", [1, 2])
def test_concurrent_hashes_are_capped_per_process(
    monkeypatch: pytest.MonkeyPatch, settings: Any, cap: int
) -> None:
    settings.CAREKEY_MAX_CONCURRENT_HASHES = cap
    hasher = OwaspArgon2PasswordHasher()
    encoded = hasher.encode(PASSWORD, hasher.salt())

    def encode() -> object:
        return hasher.encode(PASSWORD, hasher.salt())

    def verify() -> object:
        return hasher.verify(PASSWORD, encoded)

    assert in_flight_peak(monkeypatch, argon2.low_level, "hash_secret", encode) == cap
    assert in_flight_peak(monkeypatch, argon2.PasswordHasher, "verify", verify) == cap


def test_the_cap_defaults_to_two(settings: Any) -> None:
    assert settings.CAREKEY_MAX_CONCURRENT_HASHES == 2
    assert hash_slots() is hash_slots()
