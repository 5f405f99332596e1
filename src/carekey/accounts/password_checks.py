"""Where a password check counts (CONTRACT §4, §7): sign-in and "Change password" alike.

A browser with a valid device cookie for the account counts under its own nonce only:
failures from elsewhere never keep it out. Any other browser counts under its address
(across accounts) and under the account's count for unknown browsers (or the unknown
email's, which behaves the same so answers tell nothing about who has an account).
"""

from __future__ import annotations

from django.http import HttpRequest

from carekey.accounts import device_cookies, throttle
from carekey.accounts.models import User
from carekey.accounts.refusals import audit_refusal
from carekey.client import client_ip


def _keys(
    request: HttpRequest, address: str, known: User | None
) -> list[tuple[str, throttle.Limit]]:
    nonce = device_cookies.nonce_for(request, known.pk) if known else None
    if nonce is not None:
        return [(throttle.key_for_device(nonce), throttle.ACCOUNT)]
    account = throttle.key_for_password(known.pk) if known else None
    return [
        (throttle.key_for_ip(client_ip(request)), throttle.PER_IP),
        (account or throttle.key_for_unknown_email(address), throttle.ACCOUNT),
    ]


def reserve(
    request: HttpRequest, address: str, known: User | None, event_type: str
) -> list[throttle.Attempt]:
    """Reserve one password check under every key it counts in, or raise Throttled.

    A refusal gives back what was already reserved (nothing was checked) and is audited
    as `event_type`, once per wait window.
    """
    taken: list[throttle.Attempt] = []
    try:
        for key, limit in _keys(request, address, known):
            taken.append(throttle.reserve(key, limit))
    except throttle.Throttled as refused:
        for attempt in taken:
            throttle.refund(attempt)
        audit_refusal(refused, event_type, user=known, request=request, reason="throttled")
        raise
    return taken


def failed(attempts: list[throttle.Attempt]) -> None:
    for attempt in attempts:
        attempt.failed()


def succeeded(attempts: list[throttle.Attempt]) -> None:
    for attempt in attempts:
        attempt.succeeded()
