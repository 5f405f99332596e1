"""An example patient portal that signs patients in through CareKey (OpenID Connect).

Not part of CareKey: a relying party as a health system would write one, on Authlib, in
its own process. It shows the patient's name and how strongly they signed in (acr, amr),
asks CareKey for two-step verification (acr_values=aal2) before "View lab results", links
to CareKey's security page and signs out through CareKey's end-session endpoint.

    python examples/portal/app.py --carekey http://localhost:8000 --port 8001 \
        --client-id ID --client-secret SECRET
"""

from __future__ import annotations

import argparse
import html
import secrets
import time
from http import cookies
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlencode

import requests
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jwt
from joserfc.jwk import KeySet

SESSIONS: dict[str, dict[str, Any]] = {}  # the example's own sessions, in memory


class Portal:
    def __init__(self, carekey: str, base: str, client_id: str, client_secret: str) -> None:
        self.carekey, self.base = carekey.rstrip("/"), base.rstrip("/")
        self.client_id, self.client_secret = client_id, client_secret
        discovery = f"{self.carekey}/.well-known/openid-configuration"
        self.meta: dict[str, Any] = requests.get(discovery, timeout=10).json()

    def client(self) -> OAuth2Session:
        return OAuth2Session(
            self.client_id,
            self.client_secret,
            scope="openid email profile",
            redirect_uri=f"{self.base}/callback",
            code_challenge_method="S256",
        )

    def login_url(self, session: dict[str, Any], acr: str | None, back: str) -> str:
        verifier, nonce = secrets.token_urlsafe(48), secrets.token_urlsafe(16)
        extra = {"acr_values": acr} if acr else {}
        url, state = self.client().create_authorization_url(
            self.meta["authorization_endpoint"], code_verifier=verifier, nonce=nonce, **extra
        )
        session["pending"] = {"state": state, "verifier": verifier, "nonce": nonce, "back": back}
        return str(url)

    def finish(self, session: dict[str, Any], callback: str) -> str:
        pending = session.pop("pending")
        token = self.client().fetch_token(
            self.meta["token_endpoint"],
            authorization_response=callback,
            code_verifier=pending["verifier"],
            state=pending["state"],
        )
        keys = KeySet.import_key_set(requests.get(self.meta["jwks_uri"], timeout=10).json())
        decoded = jwt.decode(token["id_token"], keys, algorithms=["RS256"])
        jwt.JWTClaimsRegistry(
            now=int(time.time()),
            iss={"essential": True, "value": self.meta["issuer"]},
            aud={"essential": True, "value": self.client_id},
            nonce={"essential": True, "value": pending["nonce"]},
        ).validate(decoded.claims)
        session["claims"], session["id_token"] = dict(decoded.claims), token["id_token"]
        return str(pending["back"])

    def logout_url(self, session: dict[str, Any]) -> str:
        query = {
            "id_token_hint": session.pop("id_token", ""),
            "post_logout_redirect_uri": f"{self.base}/",
        }
        session.pop("claims", None)
        return f"{self.meta['end_session_endpoint']}?{urlencode(query)}"


def page(title: str, body: str) -> bytes:
    return (
        f'<!doctype html><html lang="en"><meta charset="utf-8"><title>{title}</title>'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<main><h1>{title}</h1>{body}</main></html>"
    ).encode()


class Handler(BaseHTTPRequestHandler):
    portal: Portal

    def _session(self) -> tuple[str, dict[str, Any]]:
        jar = cookies.SimpleCookie(self.headers.get("Cookie", ""))
        sid = jar["example_sid"].value if "example_sid" in jar else secrets.token_urlsafe(16)
        return sid, SESSIONS.setdefault(sid, {})

    def _send(self, sid: str, status: int, body: bytes = b"", location: str = "") -> None:
        self.send_response(status)
        self.send_header("Set-Cookie", f"example_sid={sid}; HttpOnly; SameSite=Lax; Path=/")
        if location:
            self.send_header("Location", location)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        sid, session = self._session()
        path = self.path.split("?")[0]
        claims = session.get("claims")
        if path == "/login":
            return self._send(sid, 302, location=self.portal.login_url(session, None, "/"))
        if path == "/callback":
            return self._send(
                sid, 302, location=self.portal.finish(session, self.portal.base + self.path)
            )
        if path == "/logout":
            return self._send(sid, 302, location=self.portal.logout_url(session))
        if path == "/labs":
            if not claims or claims.get("acr") != "aal2":  # step-up
                return self._send(
                    sid, 302, location=self.portal.login_url(session, "aal2", "/labs")
                )
            return self._send(
                sid,
                200,
                page("Lab results", "<p>Cholesterol: 4.2 mmol/L</p><p><a href='/'>Home</a></p>"),
            )
        if not claims:
            return self._send(
                sid, 200, page("Example portal", "<p><a href='/login'>Sign in with CareKey</a></p>")
            )
        who = html.escape(str(claims.get("name") or claims.get("email")))
        how = html.escape(f"acr={claims.get('acr')} amr={' '.join(claims.get('amr', []))}")
        security = html.escape(f"{self.portal.carekey}/portal/security")
        body = (
            f"<p>Signed in as <strong>{who}</strong> ({how}).</p>"
            "<p><a href='/labs'>View lab results</a></p>"
            f"<p><a href='{security}'>Security settings at CareKey</a></p>"
            "<p><a href='/logout'>Sign out</a></p>"
        )
        return self._send(sid, 200, page("Example portal", body))

    def log_message(self, format: str, *args: Any) -> None:
        return


def serve(portal: Portal, port: int) -> ThreadingHTTPServer:
    handler = type("PortalHandler", (Handler,), {"portal": portal})
    return ThreadingHTTPServer(("127.0.0.1", port), handler)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--carekey", default="http://localhost:8000")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--client-id", required=True)
    parser.add_argument("--client-secret", required=True)
    args = parser.parse_args()
    portal = Portal(
        args.carekey, f"http://localhost:{args.port}", args.client_id, args.client_secret
    )
    print(f"Example portal at http://localhost:{args.port}/ (signs in through {args.carekey})")
    serve(portal, args.port).serve_forever()


if __name__ == "__main__":
    main()
