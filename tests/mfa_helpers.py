"""Helpers for tests that need an authenticator: the code an app would show now."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from carekey.core import totp


def code_now(secret: str, offset_steps: int = 0) -> str:
    return totp.code_at_step(secret, totp.step_at(time.time()) + offset_steps)


def wrong_code(secret: str) -> str:
    """A six-digit code that matches no step in the window."""
    window = {code_now(secret, k) for k in (-1, 0, 1)}
    return next(c for c in ("000000", "111111", "222222", "333333") if c not in window)


@dataclass
class Enrolled:
    factor_id: str
    secret: str
    recovery_codes: list[str]


def enroll(api: Any, name: str | None = None) -> tuple[str, str]:
    body: dict[str, Any] = {"factor_type": "totp"}
    if name is not None:
        body["friendly_name"] = name
    response = api.post("/mfa/factors", body)
    assert response.status_code == 201, response.content
    data = response.json()
    return data["id"], data["totp"]["secret"]


def enroll_and_verify(api: Any, name: str | None = None) -> Enrolled:
    factor_id, secret = enroll(api, name)
    response = api.post(f"/mfa/factors/{factor_id}/verify", {"code": code_now(secret)})
    assert response.status_code == 200, response.content
    return Enrolled(factor_id, secret, response.json().get("recovery_codes") or [])
