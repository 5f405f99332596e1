"""django-otp's bench users and pools.

Every right or wrong code goes to a device of its own, once ("once" pools): django-otp
throttles a device for 1, 2, 4 ... s after each failure and a step works once per device,
so reusing a device would measure the throttle's refusal or a replay, not a check.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.models import User
from django_otp.oath import hotp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.util import random_hex

from peers.common.people import Pool, make_users, signed_in, store_sessions, wrong_code

FLOOR_URL = "/floor"
LIST_URL = "/otp/devices"
VERIFY_URL = "/otp/verify"


def code_at(key: str) -> Any:
    """The device's code at a 30 s step (TOTPDevice: step 30, t0 0, 6 digits, no drift)."""
    secret = bytes.fromhex(key)
    return lambda step: f"{hotp(secret, step, 6):06d}"


def add_totp(users: list[User], name: str = "Authenticator app") -> list[TOTPDevice]:
    devices = [
        TOTPDevice(user=user, name=name, confirmed=True, key=random_hex(20)) for user in users
    ]
    made: list[TOTPDevice] = TOTPDevice.objects.bulk_create(devices, batch_size=1000)
    return made


def add_backup_tokens(users: list[User]) -> None:
    devices = StaticDevice.objects.bulk_create(
        StaticDevice(user=user, name="Backup codes", confirmed=True) for user in users
    )
    StaticToken.objects.bulk_create(
        StaticToken(device=device, token=StaticToken.random_token())
        for device in devices
        for _ in range(10)
    )


def seed(count: int) -> dict[str, Any]:
    add_totp(make_users("seed", count))
    return {"users": count}


def prepare_signed_in(out: Path, count: int) -> dict[str, Any]:
    """Two TOTP devices and ten backup tokens each, sessions verified with the first."""
    users = make_users("page", count)
    first = add_totp(users)
    add_totp(users, name="Work phone")
    add_backup_tokens(users)
    keys = store_sessions(
        signed_in(user, otp_device_id=device.persistent_id)
        for user, device in zip(users, first, strict=True)
    )
    for name, url in {"floor": FLOOR_URL, "list": LIST_URL}.items():
        pool = Pool(out / f"{name}.tsv")
        for key in keys:
            pool.add("GET", url, key)
        pool.write()
    return {"users": count, "pools": ["floor", "list"]}


def prepare_verify(out: Path, count: int, right: bool) -> dict[str, Any]:
    """Signed in with the password, not yet verified: one device and one code each."""
    users = make_users("right" if right else "wrong", count)
    devices = add_totp(users)
    keys = store_sessions(signed_in(user) for user in users)
    name = "verify_right" if right else "verify_wrong"
    pool = Pool(out / f"{name}.tsv")
    for key, device in zip(keys, devices, strict=True):
        codes = code_at(device.key)
        token = "{code}" if right else wrong_code(codes)
        body = urlencode({"otp_device": device.persistent_id}) + f"&otp_token={token}"
        pool.add("POST", VERIFY_URL, key, body, code_at=codes if right else None)
    pool.write()
    return {"users": count, "requests": count}


MAKERS = {
    "signed_in": prepare_signed_in,
    "verify_wrong": lambda out, count: prepare_verify(out, count, right=False),
    "verify_right": lambda out, count: prepare_verify(out, count, right=True),
}
