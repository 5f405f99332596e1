"""Expected refusals in the server log: one INFO line in our words, not Django's warning.

A wrong code, a wrong password or a throttled attempt is CareKey doing its job, yet Django
logs every 4xx answer as a warning ("Bad Request: /portal/signin/verify"), and a log full
of those hides the warnings that matter. The code that refuses notes why on the request;
when Django logs the answer, `ExpectedRefusals` (a filter on the `django.request` logger,
settings.LOGGING) writes `refused: wrong code, 400, /portal/signin/verify` to the
`carekey.refusals` logger at INFO instead. Any 4xx answer nobody noted, and every 5xx,
is logged by Django as before. The line never holds what was typed, only why it failed.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django.http import HttpRequest

REFUSALS = logging.getLogger("carekey.refusals")
_NOTE = "_carekey_refusal"

# Why a request was refused, as the log line says it.
WRONG_CODE = "wrong code"
WRONG_RECOVERY_CODE = "wrong recovery code"
REPLAYED_CODE = "code already used"
MALFORMED_CODE = "malformed code"
WRONG_PASSWORD = "wrong password"
REFUSED_PASSKEY = "passkey refused"
THROTTLED = "throttled"
DEAD_RESET_LINK = "reset link expired, used or unknown"

# Paths that carry a secret (the emailed reset link's token): logged without it.
SECRET_PATH_PREFIXES = ("/portal/password/reset/",)
NOT_SECRET = frozenset({"/portal/password/reset/sent"})


def note(request: HttpRequest | None, reason: str) -> None:
    """Say why this request is being refused; the latest reason wins."""
    if request is not None:
        setattr(request, _NOTE, reason)


def noted(request: object) -> str | None:
    reason = getattr(request, _NOTE, None)
    return reason if isinstance(reason, str) else None


def without_secrets(path: str) -> str:
    """The path with a reset link's token replaced: a log line must not open an account."""
    for prefix in SECRET_PATH_PREFIXES:
        if path.startswith(prefix) and path not in NOT_SECRET:
            return prefix + "[token]"
    return path


def _printable(path: str) -> str:
    """As Django prints a path: control characters escaped, so a line stays one line."""
    return without_secrets(path).encode("unicode_escape").decode("ascii")


class ExpectedRefusals(logging.Filter):
    """On `django.request`: a noted 4xx answer becomes our INFO line; the rest pass."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        request = getattr(record, "request", None)
        reason = noted(request)
        if reason is None or not isinstance(status, int) or not 400 <= status < 500:
            _hide_secrets(record, str(getattr(request, "path", "")))
            return True
        path = _printable(str(getattr(request, "path", "")))
        REFUSALS.info("refused: %s, %s, %s", reason, status, path)
        return False


def _hide_secrets(record: logging.LogRecord, path: str) -> None:
    """Django's own line ("Not Found: /portal/password/reset/<token>"), token removed."""
    safe = without_secrets(path)
    if safe != path and isinstance(record.args, tuple):
        record.args = tuple(safe if arg == path else arg for arg in record.args)
