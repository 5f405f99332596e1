"""Every CareKey setting and limit with its default, in one place.

Deployments set the ones read from the environment (see settings.py and the README's
configuration table); the limits can be changed by a host's own settings module. All are
Django settings named `CAREKEY_*`, read at call time, so a test's override_settings holds.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    # Read from the environment by settings.py.
    "CAREKEY_ISSUER": "CareKey",
    "CAREKEY_IDLE_TIMEOUT_MINUTES": 30,
    "CAREKEY_SESSION_MAX_HOURS": 12,
    "CAREKEY_AUDIT_RETENTION_DAYS": 6 * 366,  # the HIPAA documentation retention period
    "CAREKEY_TRUSTED_PROXIES": [],
    "CAREKEY_MAX_CONCURRENT_HASHES": 2,
    # Limits of the contract (CONTRACT §2 to §4).
    "CAREKEY_MAX_FACTORS": 10,
    "CAREKEY_ENROLLMENT_MINUTES": 15,
    "CAREKEY_REAUTHENTICATION_MINUTES": 5,
    "CAREKEY_THROTTLE_FREE_FAILURES": 5,
    "CAREKEY_THROTTLE_FIRST_WAIT_SECONDS": 30,
    "CAREKEY_THROTTLE_MAX_WAIT_SECONDS": 15 * 60,
    "CAREKEY_CODE_HARD_STOP": 100,  # NIST SP 800-63B: consecutive failed code checks
    "CAREKEY_LOCK_MINUTES": (1, 2, 5, 10, 15, 30),
    "CAREKEY_DEFAULT_LOCK_MINUTES": 5,
    # Password reset (CONTRACT §7).
    "CAREKEY_PASSWORD_RESET_MINUTES": 30,
    "CAREKEY_PASSWORD_RESET_LINKS_PER_HOUR": 3,
    "CAREKEY_PASSWORD_RESET_REQUESTS_PER_IP": 20,  # an hour, across accounts
    # Every "Send reset link" answer takes at least this long, known email or not.
    "CAREKEY_PASSWORD_RESET_ANSWER_SECONDS": 0.3,
    # Emails whose timing could tell something (the reset link) leave the request on a
    # thread after commit; tests set False to read the outbox at once.
    "CAREKEY_SEND_MAIL_IN_BACKGROUND": True,
}


def get(name: str) -> Any:
    return getattr(settings, name, DEFAULTS[name])


def issuer() -> str:
    return str(get("CAREKEY_ISSUER"))


def public_url() -> str:
    """CareKey's public address (CAREKEY_PUBLIC_URL): the OIDC issuer and the passkey origin."""
    return str(getattr(settings, "CAREKEY_PUBLIC_URL", "http://localhost:8000")).rstrip("/")


def idle_timeout_minutes() -> int:
    return int(get("CAREKEY_IDLE_TIMEOUT_MINUTES"))


def session_max_hours() -> int:
    return int(get("CAREKEY_SESSION_MAX_HOURS"))


def audit_retention_days() -> int:
    return int(get("CAREKEY_AUDIT_RETENTION_DAYS"))


def trusted_proxies() -> list[str]:
    return list(get("CAREKEY_TRUSTED_PROXIES"))


def max_concurrent_hashes() -> int:
    return int(get("CAREKEY_MAX_CONCURRENT_HASHES"))


def max_factors() -> int:
    return int(get("CAREKEY_MAX_FACTORS"))


def enrollment_lifetime() -> timedelta:
    return timedelta(minutes=int(get("CAREKEY_ENROLLMENT_MINUTES")))


def reauthentication_lifetime() -> timedelta:
    return timedelta(minutes=int(get("CAREKEY_REAUTHENTICATION_MINUTES")))


def lock_minutes() -> tuple[int, ...]:
    return tuple(get("CAREKEY_LOCK_MINUTES"))


def password_reset_lifetime() -> timedelta:
    return timedelta(minutes=int(get("CAREKEY_PASSWORD_RESET_MINUTES")))


def password_reset_answer_seconds() -> float:
    return float(get("CAREKEY_PASSWORD_RESET_ANSWER_SECONDS"))


def send_mail_in_background() -> bool:
    return bool(get("CAREKEY_SEND_MAIL_IN_BACKGROUND"))
