"""A relying party and a browser for the OIDC tests: Authlib's OAuth client (an
independent implementation, never our own code) and a requests session that fills in
CareKey's own sign-in pages."""

from __future__ import annotations

import re
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import requests
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jwt
from joserfc.jwk import KeySet

from carekey.oidc import clients

REDIRECT_URI = "http://localhost:8799/callback"  # never followed: the test reads the code
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@dataclass
class Flow:
    base: str
    client_id: str
    client_secret: str | None
    discovery: dict[str, Any]
    browser: requests.Session

    @classmethod
    def start(cls, base: str, *, public: bool = False) -> Flow:
        registered = clients.register(
            "Clinic portal", [REDIRECT_URI], public=public, skip_consent=True
        )
        discovery = requests.get(f"{base}/.well-known/openid-configuration", timeout=10).json()
        return cls(
            base, registered.client_id, registered.client_secret, discovery, requests.Session()
        )

    def client(self, scope: str = "openid email profile") -> OAuth2Session:
        return OAuth2Session(
            self.client_id,
            self.client_secret,
            scope=scope,
            redirect_uri=REDIRECT_URI,
            code_challenge_method="S256",
            token_endpoint_auth_method="client_secret_basic" if self.client_secret else "none",
        )

    def authorization_url(self, client: OAuth2Session, **params: str) -> tuple[str, str, str]:
        """(url, code_verifier, nonce)"""
        verifier = secrets.token_urlsafe(48)
        nonce = secrets.token_urlsafe(16)
        url, _state = client.create_authorization_url(
            self.discovery["authorization_endpoint"], code_verifier=verifier, nonce=nonce, **params
        )
        return url, verifier, nonce

    def follow(self, url: str) -> requests.Response:
        """GET `url` and follow redirects inside CareKey; stop at the client's callback."""
        response = self.browser.get(url, allow_redirects=False, timeout=10)
        while response.is_redirect:
            target = urljoin(response.url, response.headers["Location"])
            if target.startswith(REDIRECT_URI):
                return response
            response = self.browser.get(target, allow_redirects=False, timeout=10)
        return response

    def submit(self, page: requests.Response, data: dict[str, str]) -> requests.Response:
        """POST the page's form (CSRF token included), then follow as `follow` does."""
        token = CSRF.search(page.text)
        assert token, page.text[:500]
        action = urlsplit(page.url)
        posted = self.browser.post(
            page.url,
            data={"csrfmiddlewaretoken": token.group(1), **data},
            headers={"Referer": f"{action.scheme}://{action.netloc}/"},
            allow_redirects=False,
            timeout=10,
        )
        if not posted.is_redirect or posted.headers["Location"].startswith(REDIRECT_URI):
            return posted
        return self.follow(urljoin(posted.url, posted.headers["Location"]))


def callback_of(response: requests.Response) -> str:
    location = response.headers["Location"]
    assert location.startswith(REDIRECT_URI), location
    return location


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def id_token_claims(flow: Flow, token: dict[str, Any], nonce: str) -> dict[str, Any]:
    """The ID token verified against the JWKS: signature, iss, aud, nonce, exp."""
    jwks = requests.get(flow.discovery["jwks_uri"], timeout=10).json()
    decoded = jwt.decode(token["id_token"], KeySet.import_key_set(jwks), algorithms=["RS256"])
    registry = jwt.JWTClaimsRegistry(
        now=int(time.time()),
        iss={"essential": True, "value": flow.discovery["issuer"]},
        aud={"essential": True, "value": flow.client_id},
        nonce={"essential": True, "value": nonce},
        exp={"essential": True},
    )
    registry.validate(decoded.claims)
    return dict(decoded.claims)


def claims_after(
    flow: Flow, client: OAuth2Session, callback: str, verifier: str, nonce: str
) -> dict[str, Any]:
    """Exchange the code in `callback` (Authlib) and return the verified ID token claims."""
    token = client.fetch_token(
        flow.discovery["token_endpoint"], authorization_response=callback, code_verifier=verifier
    )
    return id_token_claims(flow, dict(token), nonce)
