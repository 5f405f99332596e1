"""django-oauth-toolkit's settings for CareKey's OpenID provider (CONTRACT §8), from
settings.py: the issuer, the signing key, and every lifetime and rule of the contract."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from carekey.oidc import keys

ACCESS_TOKEN_SECONDS = 10 * 60
CODE_SECONDS = 60
SCOPES = {
    "openid": _("Sign you in"),
    "email": _("Your email address"),
    "profile": _("Your name"),
    "offline_access": _("Stay connected when you are away"),
    "fhirUser": _("Your patient record's address"),
}
# RFC 9700 (OAuth 2.0 Security BCP): enforce every recommendation the toolkit can.
BCP = [
    "IMPLICIT_GRANT", "PASSWORD_GRANT", "PKCE_METHOD", "ACCESS_TOKEN_TRANSPORT",
    "AUTHZ_RESPONSE_ISS", "REFRESH_TOKEN", "REDIRECT_URI_SCHEME", "REDIRECT_URI_MATCHING",
    "PKCE_REQUIRED", "TOKEN_STORAGE",
]  # fmt: skip


def public_url() -> str:
    return os.environ.get("CAREKEY_PUBLIC_URL", "").strip().rstrip("/") or "http://localhost:8000"


def private_key(production: bool, data_dir: Path) -> str:
    """CAREKEY_OIDC_PRIVATE_KEY (a PEM; `\\n` may stand for line breaks), else in
    development a key generated into the data dir."""
    raw = os.environ.get("CAREKEY_OIDC_PRIVATE_KEY", "").strip().replace("\\n", "\n")
    if not raw:
        if production:
            raise ImproperlyConfigured(
                "CAREKEY_ENV=production refuses to start without CAREKEY_OIDC_PRIVATE_KEY."
            )
        return keys.load_or_create(data_dir / "oidc_private_key.pem")
    try:
        return keys.check_pem(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"CAREKEY_OIDC_PRIVATE_KEY {exc}.") from None


def previous_keys() -> list[str]:
    """CAREKEY_OIDC_PREVIOUS_KEYS: the keys a rotation retired, still published in the JWKS
    so tokens they signed verify until they expire (one or more PEMs, concatenated)."""
    raw = os.environ.get("CAREKEY_OIDC_PREVIOUS_KEYS", "").strip().replace("\\n", "\n")
    marker = "-----BEGIN"
    pems = [marker + part for part in raw.split(marker) if part.strip()]
    try:
        return [keys.check_pem(pem.strip() + "\n") for pem in pems]
    except ValueError as exc:
        raise ImproperlyConfigured(f"CAREKEY_OIDC_PREVIOUS_KEYS {exc}.") from None


def toolkit_settings(
    issuer: str, key: str, previous_keys: list[str], *, production: bool
) -> dict[str, Any]:
    """Production accepts only https redirect URIs; development also http (localhost
    portals and the example)."""
    return {
        "OIDC_ENABLED": True,
        "OIDC_ISS_ENDPOINT": issuer,
        "OIDC_RSA_PRIVATE_KEY": key,
        "OIDC_RSA_PRIVATE_KEYS_INACTIVE": previous_keys,
        "OAUTH2_VALIDATOR_CLASS": "carekey.oidc.validator.CareKeyValidator",
        "SCOPES": SCOPES,
        "DEFAULT_SCOPES": ["openid"],
        "PKCE_REQUIRED": True,
        "CLIENT_SECRET_HASHER": "carekey_client_secret",  # accounts/hashers.py says why
        "AUTHORIZATION_CODE_EXPIRE_SECONDS": CODE_SECONDS,
        "ACCESS_TOKEN_EXPIRE_SECONDS": ACCESS_TOKEN_SECONDS,
        "ID_TOKEN_EXPIRE_SECONDS": ACCESS_TOKEN_SECONDS,
        "ROTATE_REFRESH_TOKEN": True,
        "REFRESH_TOKEN_REUSE_PROTECTION": True,
        "REQUEST_APPROVAL_PROMPT": "auto",
        "ALLOWED_REDIRECT_URI_SCHEMES": ["https"] if production else ["https", "http"],
        "OIDC_RP_INITIATED_LOGOUT_ENABLED": True,
        "OIDC_RP_INITIATED_LOGOUT_ALWAYS_PROMPT": False,
        "OIDC_RP_INITIATED_LOGOUT_STRICT_REDIRECT_URIS": True,
        "OIDC_RP_INITIATED_LOGOUT_ACCEPT_EXPIRED_TOKENS": False,
        "OIDC_RP_INITIATED_LOGOUT_DELETE_TOKENS": True,
        **{f"COMPLIANT_BCP_RFC9700_{name}": True for name in BCP},
    }
