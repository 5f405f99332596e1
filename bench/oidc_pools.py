"""Pools for the OpenID Connect calls: the authorize redirect of a signed-in patient, and
the token exchange (each line a code of its own, made directly as a grant with its
context, so the measured call is the exchange alone)."""

from __future__ import annotations

import base64
import hashlib
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from django.utils import timezone
from oauth2_provider.models import Grant
from patients import Pool, make_patients, open_session

from carekey.oidc import clients
from carekey.oidc.models import GrantContext

REDIRECT_URI = "http://localhost:8799/callback"
VERIFIER = "bench-verifier-" + "v" * 43
CHALLENGE = (
    base64.urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest()).rstrip(b"=").decode()
)


def _client() -> tuple[str, str]:
    registered = clients.register(
        f"Bench {secrets.token_hex(4)}", [REDIRECT_URI], skip_consent=True
    )
    return registered.client_id, registered.client_secret or ""


def prepare_authorize(out: Path, count: int) -> dict[str, Any]:
    """aal2 sessions asking a skip-consent client's authorization: each answer is a 302."""
    client_id, _secret = _client()
    query = urlencode({
        "response_type": "code", "client_id": client_id, "redirect_uri": REDIRECT_URI,
        "scope": "openid email", "state": "bench", "nonce": "bench",
        "code_challenge": CHALLENGE, "code_challenge_method": "S256",
    })  # fmt: skip
    pool = Pool(out / "oidc_authorize.tsv")
    for user in make_patients("authorize", count):
        pool.add("GET", f"/o/authorize/?{query}", open_session(user, "aal2"))
    pool.write()
    return {"patients": count, "requests": count}


def prepare_token(out: Path, count: int) -> dict[str, Any]:
    """One unspent code per line (valid for an hour: the pool is made before the round)."""
    client_id, secret = _client()
    from oauth2_provider.models import Application

    client = Application.objects.get(client_id=client_id)
    pool = Pool(out / "oidc_token.tsv")
    expires = timezone.now() + timedelta(hours=1)
    for user in make_patients("token", count):
        code = secrets.token_urlsafe(24)
        grant = Grant.objects.create(
            application=client, user=user, code=code, expires=expires, redirect_uri=REDIRECT_URI,
            scope="openid email", code_challenge=CHALLENGE, code_challenge_method="S256",
            nonce="bench", claims="",
        )  # fmt: skip
        GrantContext.objects.create(
            grant=grant,
            acr="aal2",
            amr=["pwd", "otp", "mfa"],
            auth_time=timezone.now(),
            sid="bench",
        )
        body = urlencode({
            "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI,
            "code_verifier": VERIFIER, "client_id": client_id, "client_secret": secret,
        })  # fmt: skip
        pool.add("POST", "/o/token/", "", body)
    pool.write()
    return {"patients": count, "requests": count}
