"""The pools bench/pool.lua sends: one maker per scenario, each in one transaction."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import oidc_pools
import passkey_pools
from django.db import transaction
from patients import (
    CODE_STEPS,
    Pool,
    add_events,
    add_factors,
    add_recovery_codes,
    factor_ids,
    make_patients,
    open_session,
)

from carekey.core import totp


def prepare_signed_in(out: Path, count: int, floor_path: str) -> dict[str, Any]:
    """Patients with two verified factors, 20 events and an aal2 session: the GET calls."""
    users = make_patients("page", count)
    add_factors(users, "verified")
    add_factors(users, "verified", name="Work phone")
    add_recovery_codes(users)
    add_events(users, 20)
    keys = [open_session(user, "aal2") for user in users]
    pools = {
        "floor": f"/{floor_path}",
        "page": "/portal/security",
        "list": "/api/v1/mfa/factors",
    }
    for name, url in pools.items():
        pool = Pool(out / f"{name}.tsv")
        for key in keys:
            pool.add("GET", url, key)
        pool.write()
    return {"patients": count, "pools": sorted(pools)}


def prepare_enroll(out: Path, count: int) -> dict[str, Any]:
    """Patients without a factor (no reauthentication needed), ten enrollments each."""
    users = make_patients("enroll", count)
    pool = Pool(out / "enroll.tsv")
    for user in users:
        pool.add(
            "POST", "/api/v1/mfa/factors", open_session(user, "aal1"), '{"factor_type":"totp"}'
        )
    pool.write()
    return {"patients": count, "requests": count * 10}


def prepare_verify_wrong(out: Path, count: int) -> dict[str, Any]:
    """One fresh factor per patient; five wrong codes each stay under the throttle."""
    users = make_patients("wrong", count)
    secret_list = add_factors(users, "unverified")
    pool = Pool(out / "verify_wrong.tsv")
    step = totp.step_at(time.time())
    for user, secret, factor_id in zip(
        users, secret_list, factor_ids(users, "unverified"), strict=True
    ):
        window = {totp.code_at_step(secret, step + i) for i in range(-2, CODE_STEPS + 2)}
        wrong = next(f"{n:06d}" for n in range(1000) if f"{n:06d}" not in window)
        pool.add(
            "POST",
            f"/api/v1/mfa/factors/{factor_id}/verify",
            open_session(user, "aal1"),
            json.dumps({"code": wrong}),
        )
    pool.write()
    return {"patients": count, "requests": count * 5}


def prepare_verify_right(out: Path, count: int, first: bool) -> dict[str, Any]:
    """A fresh factor per patient, verified once with its own code (no replay in the way).

    first: the patient's first factor (ten recovery codes are made and hashed);
    else the patient already has a verified factor and recovery codes, and an aal2 session.
    """
    tag = "first" if first else "more"
    users = make_patients(tag, count)
    if not first:
        add_factors(users, "verified")
        add_recovery_codes(users)
    secret_list = add_factors(users, "unverified", name="New phone")
    pool = Pool(out / f"verify_right_{tag}.tsv")
    for user, secret, factor_id in zip(
        users, secret_list, factor_ids(users, "unverified"), strict=True
    ):
        pool.add(
            "POST",
            f"/api/v1/mfa/factors/{factor_id}/verify",
            open_session(user, "aal1" if first else "aal2"),
            '{"code":"{code}"}',
            codes_for=secret,
        )
    pool.write()
    return {"patients": count, "requests": count}


def prepare_session_verify(out: Path, count: int) -> dict[str, Any]:
    """Patients with a verified factor whose session waits for the second step."""
    users = make_patients("signin", count)
    secret_list = add_factors(users, "verified")
    add_recovery_codes(users)
    pool = Pool(out / "session_verify.tsv")
    for user, secret in zip(users, secret_list, strict=True):
        pool.add(
            "POST",
            "/api/v1/session/verify",
            open_session(user, "await"),
            '{"code":"{code}"}',
            codes_for=secret,
        )
    pool.write()
    return {"patients": count, "requests": count}


def prepare(wanted: list[str], out: Path, floor_path: str) -> dict[str, Any]:
    """Make the pools `wanted` ("scenario=count" each) under `out`/<scenario>/."""
    makers: dict[str, Callable[[Path, int], dict[str, Any]]] = {
        "signed_in": lambda where, n: prepare_signed_in(where, n, floor_path),
        "enroll": prepare_enroll,
        "verify_wrong": prepare_verify_wrong,
        "verify_right_first": lambda where, n: prepare_verify_right(where, n, first=True),
        "verify_right_more": lambda where, n: prepare_verify_right(where, n, first=False),
        "session_verify": prepare_session_verify,
        "oidc_authorize": oidc_pools.prepare_authorize,
        "oidc_token": oidc_pools.prepare_token,
        "passkey_sign_in": passkey_pools.prepare_passkey_sign_in,
    }
    made = {}
    for item in wanted:
        scenario, _, count = item.partition("=")
        started = time.perf_counter()
        where = out / scenario
        where.mkdir(parents=True, exist_ok=True)
        with transaction.atomic():
            result = makers[scenario](where, int(count))
        made[scenario] = {**result, "seconds": time.perf_counter() - started}
    return made
