"""Which routes the access gate leaves open, in each state of a session.

Plain constants with no imports, so that both the gate (middleware.py) and the OpenAPI
document (api/openapi.py) read the same lists without importing each other.
"""

from __future__ import annotations

# Anything under /api/ answers in JSON, errors included, whatever the version.
API_ROOT = "/api/"
API_PREFIX = "/api/v1/"
PORTAL_PREFIX = "/portal/"
ADMIN_PREFIX = "/admin/"
# Responses under these are never cached by a browser or a proxy.
PRIVATE_PREFIXES = (PORTAL_PREFIX, API_ROOT, ADMIN_PREFIX)
API_DOCS = ("/api/v1/openapi.json", "/api/v1/docs")
# The /session calls check for themselves; a locked session keeps only these, the unlock
# call, and the two passkey calls (a passkey unlocks too).
API_SESSION = "/api/v1/session"
API_PASSKEY = {("POST", "/api/v1/session/passkey/options"), ("POST", "/api/v1/session/passkey")}
API_WHILE_LOCKED = {("GET", "/api/v1/session"), ("DELETE", "/api/v1/session"), *API_PASSKEY}
API_UNLOCK = ("POST", "/api/v1/session/unlock")
PORTAL_OPEN = ("/portal/signin", "/portal/password/reset")
# "Forgot your password?" in JSON: for people who cannot sign in.
API_OPEN = ("/api/v1/password/reset",)
# What a password-only session of a patient with a verified factor may still reach.
PORTAL_BEFORE_SECOND_FACTOR = ("/portal/signout",)
PORTAL_WHILE_LOCKED = ("/portal/signout", "/portal/locked")
# Under "Require MFA for all patients", what a patient without a factor may reach.
PORTAL_UNENROLLED = ("/portal/security", "/portal/signout", "/portal/locked")
API_UNENROLLED = ("/api/v1/mfa",)


def is_open(path: str, prefixes: tuple[str, ...]) -> bool:
    """True for each prefix itself and anything under it, never for a longer sibling."""
    return any(path == p or path.startswith(p + "/") for p in prefixes)
