"""A small HTTP client that behaves like a browser app: cookies, CSRF header, no redirects.

Standard library only (http.client), so the load generator and the tests need nothing new.
"""

from __future__ import annotations

import http.client
import json
import time
import urllib.parse
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any

from carekey.core import totp

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
SESSION_COOKIE = "carekey_session"


def code_now(secret: str, offset_steps: int = 0) -> str:
    """The code an authenticator app shows now (or `offset_steps` steps away)."""
    return totp.code_at_step(secret, totp.step_at(time.time()) + offset_steps)


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes
    elapsed: float

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def error_code(self) -> str | None:
        """The `error.code` of an API error body, or None."""
        try:
            data = self.json()
        except ValueError:
            return None
        error = data.get("error") if isinstance(data, dict) else None
        return str(error.get("code")) if isinstance(error, dict) else None

    @property
    def location(self) -> str:
        return self.headers.get("location", "")


@dataclass
class Browser:
    """One client with its own cookie jar; every request is a fresh connection."""

    base: str
    user_agent: str = "CareKey reliability client"
    timeout: float = 120.0
    cookies: dict[str, str] = field(default_factory=dict)

    @property
    def _host_port(self) -> tuple[str, int]:
        parsed = urllib.parse.urlsplit(self.base)
        return parsed.hostname or "127.0.0.1", parsed.port or 80

    @property
    def session_id(self) -> str | None:
        return self.cookies.get(SESSION_COOKIE)

    def request(
        self,
        method: str,
        path: str,
        *,
        body: bytes | None = None,
        content_type: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        host, port = self._host_port
        sent = {"User-Agent": self.user_agent, "Accept": "*/*", "Connection": "close"}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if content_type:
            sent["Content-Type"] = content_type
        sent.update(headers or {})
        started = time.perf_counter()
        conn = http.client.HTTPConnection(host, port, timeout=self.timeout)
        try:
            conn.request(method, path, body=body, headers=sent)
            response = conn.getresponse()
            data = response.read()
            for raw in response.headers.get_all("Set-Cookie") or []:
                self._absorb_cookie(raw)
            received = {k.lower(): v for k, v in response.getheaders()}
        finally:
            conn.close()
        return Reply(response.status, received, data, time.perf_counter() - started)

    def _absorb_cookie(self, raw: str) -> None:
        jar: SimpleCookie = SimpleCookie()
        jar.load(raw)
        for name, morsel in jar.items():
            gone = morsel["max-age"] == "0" or "1970" in morsel["expires"]
            if gone:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = morsel.value

    def ensure_csrf(self) -> str:
        if "csrftoken" not in self.cookies:
            self.request("GET", "/api/v1/session")
        return self.cookies["csrftoken"]

    def api(
        self, method: str, path: str, payload: Any = None, *, headers: dict[str, str] | None = None
    ) -> Reply:
        """A call under /api/v1 with a JSON body and, for unsafe methods, X-CSRFToken."""
        sent = dict(headers or {})
        if method.upper() in UNSAFE:
            sent.setdefault("X-CSRFToken", self.ensure_csrf())
        body = None if payload is None else json.dumps(payload).encode()
        return self.request(
            method.upper(),
            "/api/v1" + path,
            body=body,
            content_type="application/json" if body is not None else None,
            headers=sent,
        )

    def form(self, path: str, fields: dict[str, str] | None = None) -> Reply:
        """A page form POST (urlencoded) with the CSRF token in the header, as Django allows."""
        body = urllib.parse.urlencode(fields or {}).encode()
        return self.request(
            "POST",
            path,
            body=body,
            content_type="application/x-www-form-urlencoded",
            headers={"X-CSRFToken": self.ensure_csrf()},
        )

    def sign_in(self, email: str, password: str) -> Reply:
        return self.api("POST", "/session", {"email": email, "password": password})

    def enroll(self, name: str | None = None) -> tuple[str, str]:
        """Start a TOTP factor; return (factor id, secret)."""
        body: dict[str, Any] = {"factor_type": "totp"}
        if name is not None:
            body["friendly_name"] = name
        reply = self.api("POST", "/mfa/factors", body)
        if reply.status != 201:
            raise AssertionError(f"enroll answered {reply.status}: {reply.text[:300]}")
        data = reply.json()
        return str(data["id"]), str(data["totp"]["secret"])

    def enroll_and_verify(self, name: str | None = None) -> tuple[str, str, list[str]]:
        """Enroll and verify a factor; return (factor id, secret, recovery codes)."""
        factor_id, secret = self.enroll(name)
        reply = self.api("POST", f"/mfa/factors/{factor_id}/verify", {"code": code_now(secret)})
        if reply.status != 200:
            raise AssertionError(f"verify answered {reply.status}: {reply.text[:300]}")
        return factor_id, secret, list(reply.json().get("recovery_codes") or [])
