"""TOTP maths (RFC 6238: HMAC-SHA1, 6 digits, 30 s steps), kept free of Django.

Only the arithmetic lives here so it can be tested exhaustively in isolation; storing
the last accepted step atomically (the replay guard) is the caller's job.
"""

from __future__ import annotations

import base64
import hmac
import io
import math
import secrets
from urllib.parse import quote

import pyotp
import segno

DIGITS = 6
PERIOD = 30
SECRET_BYTES = 20

# No real code is longer than "123 - 456"; refusing long input first keeps hostile
# megabyte-sized form fields from costing anything.
_MAX_RAW_LENGTH = 64
_ASCII_DIGITS = frozenset("0123456789")
_MIN_QR_WIDTH_PX = 200
_QR_BORDER_MODULES = 4  # the quiet zone the QR specification asks for


class InvalidCodeFormat(ValueError):
    """The entered text cannot be a 6-digit code; the message is safe to show to people."""

    default_message = "Enter the 6-digit code from your authenticator app."

    def __init__(self, message: str = default_message) -> None:
        super().__init__(message)


def generate_secret() -> str:
    """Return a fresh 160-bit secret (RFC 4226's recommended size) as 32 base32 characters.

    20 bytes encode to exactly 32 base32 characters, so there is never any padding.
    """
    return base64.b32encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii").rstrip("=")


def normalize_code(raw: str) -> str:
    """Return the six ASCII digits of `raw`, ignoring spaces and hyphens people type.

    str.isdigit() would accept Arabic-Indic or fullwidth digits, so membership in
    "0123456789" is checked explicitly.
    """
    if len(raw) > _MAX_RAW_LENGTH:
        raise InvalidCodeFormat()
    code = raw.replace(" ", "").replace("-", "")
    if len(code) != DIGITS or not _ASCII_DIGITS.issuperset(code):
        raise InvalidCodeFormat()
    return code


def step_at(timestamp: float) -> int:
    """Return the RFC 6238 time step (T) that contains the Unix `timestamp`."""
    return math.floor(timestamp / PERIOD)


def code_at_step(secret: str, step: int) -> str:
    """Return the code for `step` as a string, so leading zeros survive."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=PERIOD).generate_otp(step)


def _steps_matching(secret: str, code: str, now: float, window: int) -> list[int]:
    """Return every step in [t - window, t + window] whose code equals `code`, newest first.

    Every candidate is compared (no early exit) with a constant-time comparison so
    response timing reveals nothing about how close a guess was.
    """
    try:
        wanted = normalize_code(code)
    except InvalidCodeFormat:
        return []
    current = step_at(now)
    candidates = range(current + window, current - window - 1, -1)
    return [
        step
        for step in candidates
        if step >= 0 and hmac.compare_digest(code_at_step(secret, step), wanted)
    ]


def matching_step(
    secret: str,
    code: str,
    now: float,
    last_accepted_step: int | None,
    window: int = 1,
) -> int | None:
    """Return the newest step in the window that `code` matches and that is still unused.

    A step at or before `last_accepted_step` was already consumed (or is older than
    one that was), so accepting it would allow a replay of an observed code.
    """
    for step in _steps_matching(secret, code, now, window):
        if last_accepted_step is None or step > last_accepted_step:
            return step
    return None


def is_replay(
    secret: str,
    code: str,
    now: float,
    last_accepted_step: int | None,
    window: int = 1,
) -> bool:
    """Tell whether `code` is valid in the window but only for already-used steps.

    This lets callers audit replays separately from plain wrong codes.
    """
    if last_accepted_step is None:
        return False
    steps = _steps_matching(secret, code, now, window)
    return bool(steps) and all(step <= last_accepted_step for step in steps)


def provisioning_uri(secret: str, account_name: str, issuer: str) -> str:
    """Return the otpauth:// URI authenticator apps import, with explicit parameters.

    Algorithm, digits and period are spelled out even though they are the defaults,
    because some apps guess wrong when they are missing. `safe=""` also encodes "/",
    so no issuer or e-mail address can alter the URI's structure.
    """
    enc_issuer = quote(issuer, safe="")
    return (
        f"otpauth://totp/{enc_issuer}:{quote(account_name, safe='')}"
        f"?secret={secret}&issuer={enc_issuer}"
        f"&algorithm=SHA1&digits={DIGITS}&period={PERIOD}"
    )


_QR_MASK = 0


def qr_code_svg(uri: str) -> str:
    """Return standalone SVG markup for `uri`, rendered locally so the secret never leaves.

    The scale is chosen so the image is at least 200 px wide including the quiet zone,
    which phone cameras need to lock on.
    """
    # A fixed mask pattern: choosing the "best" of the eight costs three quarters of the
    # encoding time (about 7 ms per enrollment), and every reader decodes every mask.
    qr = segno.make_qr(uri, error="m", mask=_QR_MASK)
    width_modules, _ = qr.symbol_size(scale=1, border=_QR_BORDER_MODULES)
    scale = math.ceil(_MIN_QR_WIDTH_PX / width_modules)
    buffer = io.BytesIO()
    qr.save(buffer, kind="svg", xmldecl=False, scale=scale, border=_QR_BORDER_MODULES)
    return buffer.getvalue().decode("utf-8")


def qr_code_data_uri(uri: str) -> str:
    """Return the QR code as a base64 data URI, usable in <img src> without a request."""
    svg = base64.b64encode(qr_code_svg(uri).encode("utf-8")).decode("ascii")
    return f"data:image/svg+xml;base64,{svg}"


def group_secret(secret: str) -> str:
    """Return the secret in groups of four so people can type it by hand without slipping."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
