"""Timings apart from the load: the Argon2 sign-in cost, and micro-benchmarks of the slow
parts the first profiles found (before and now, in the same process).

Imported by bench/dbtool.py after django.setup().
"""

from __future__ import annotations

import os
import secrets
import statistics
import time
from collections.abc import Callable
from typing import Any

from django.contrib.auth.hashers import get_hasher, make_password
from patients import PASSWORD

from carekey.accounts.models import ThrottleState
from carekey.core import recovery, totp
from carekey.mfa import vault


def _timed(action: Callable[[], object], repeat: int) -> dict[str, float]:
    action()
    samples = []
    for _ in range(repeat):
        mark = time.perf_counter()
        action()
        samples.append((time.perf_counter() - mark) * 1000)
    return {
        "median_ms": statistics.median(samples),
        "min_ms": min(samples),
        "max_ms": max(samples),
        "samples": repeat,
    }


def argon2_cost(repeat: int) -> dict[str, Any]:
    hasher: Any = get_hasher()
    encoded = make_password(PASSWORD)
    params = recovery._HASHER  # the recovery-code hasher's own parameters
    stored = recovery.hash_code(recovery.normalize(recovery.generate_codes(1)[0]))
    code = recovery.normalize(recovery.generate_codes(1)[0])
    return {
        "password": {
            "hasher": f"{type(hasher).__module__}.{type(hasher).__name__}",
            "variant": "argon2id",
            "time_cost": hasher.time_cost,
            "memory_cost_kib": hasher.memory_cost,
            "parallelism": hasher.parallelism,
            "hash": _timed(lambda: make_password(PASSWORD), repeat),
            "verify": _timed(lambda: hasher.verify(PASSWORD, encoded), repeat),
        },
        "recovery_code": {
            "variant": "argon2id",
            "time_cost": params.time_cost,
            "memory_cost_kib": params.memory_cost,
            "parallelism": params.parallelism,
            "hash": _timed(lambda: recovery.hash_code(code), repeat * 4),
            "verify_miss": _timed(lambda: recovery.matches(code, stored), repeat * 4),
        },
        "cpu_count": os.cpu_count(),
    }


def micro(repeat: int) -> dict[str, Any]:
    """Time the pieces the first profiles pointed at: before (the code as it was, rebuilt
    here) and now (the product as it is), in the same process."""
    import io

    import segno
    from argon2 import PasswordHasher

    secret = totp.generate_secret()
    uri = totp.provisioning_uri(secret, "patient@example.org", "CareKey")
    before_hasher = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)
    now_kib = recovery._HASHER.memory_cost
    code = recovery.normalize(recovery.generate_codes(1)[0])

    def qr_before() -> bytes:
        qr = segno.make_qr(uri, error="m")  # segno evaluates all eight masks
        buffer = io.BytesIO()
        qr.save(buffer, kind="svg", xmldecl=False, scale=5, border=4)
        return buffer.getvalue()

    few = max(3, repeat // 4)
    return {
        "QR code, before: best of eight masks": _timed(qr_before, repeat),
        "QR code, now: fixed mask (totp.qr_code_data_uri)": _timed(
            lambda: totp.qr_code_data_uri(uri), repeat
        ),
        "10 recovery-code hashes, before: argon2id t=1 m=8 MiB": _timed(
            lambda: [before_hasher.hash(code) for _ in range(10)], few
        ),
        f"10 recovery-code hashes, now: argon2id t=1 m={now_kib} KiB": _timed(
            lambda: [recovery.hash_code(code) for _ in range(10)], few
        ),
        "1 Fernet encrypt + decrypt": _timed(lambda: vault.unseal(vault.seal(secret)), repeat),
        **_throttle_micro(repeat),
    }


def _throttle_micro(repeat: int) -> dict[str, Any]:
    """A failed check's count: before (get_or_create, update, read back, in a transaction)
    and now (throttle.reserve: one conditional upsert that counts before the check)."""
    from django.db import transaction
    from django.db.models import F

    from carekey.accounts import throttle

    key = f"bench:micro:{secrets.token_hex(4)}"

    def before() -> None:
        with transaction.atomic():
            ThrottleState.objects.get_or_create(key=key + ":b")
            ThrottleState.objects.filter(key=key + ":b").update(failures=F("failures") + 1)
            ThrottleState.objects.values_list("failures", flat=True).get(key=key + ":b")
        ThrottleState.objects.filter(key=key + ":b").update(failures=0, blocked_until=None)

    def now() -> None:
        throttle.reserve(key).failed()
        ThrottleState.objects.filter(key=key).update(failures=0, blocked_until=None)

    try:
        return {
            "a failed check's count + reset, before: four statements in a transaction": _timed(
                before, repeat
            ),
            "a failed check's count + reset, now: one upsert (throttle.reserve)": _timed(
                now, repeat
            ),
        }
    finally:
        ThrottleState.objects.filter(key__startswith=key).delete()
