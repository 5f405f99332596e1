"""Where to send a person next, by route name, never off this site."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

# Route names (urls.py) of the places the gate and the pages send people.
HOME = "home"
SIGNIN = "signin"
VERIFY = "signin-verify"
LOCKED = "locked"
SECURITY = "security"


def url(name: str, *args: Any, fragment: str = "") -> str:
    """The path of a named route, with an optional #fragment (a section of the page)."""
    path = reverse(name, args=args)
    return f"{path}#{fragment}" if fragment else path


def safe_next(value: str | None, default: str | None = None) -> str:
    """`value` if it is a path on this site, else `default` (no open redirects)."""
    fallback = default if default is not None else url(HOME)
    if not value or len(value) > 2000:
        return fallback
    if not value.startswith("/") or value.startswith(("//", "/\\")):
        return fallback
    if any(ord(ch) < 0x21 for ch in value) or "\\" in value:
        return fallback
    if not url_has_allowed_host_and_scheme(value, allowed_hosts=None):
        return fallback
    return value


def redirect_to(name: str, next_path: str) -> HttpResponseRedirect:
    """To the named route, carrying `next` (made safe, and URL-encoded)."""
    return HttpResponseRedirect(f"{url(name)}?{urlencode({'next': safe_next(next_path)})}")


def redirect_with_next(name: str, request: HttpRequest) -> HttpResponseRedirect:
    return redirect_to(name, request.get_full_path_info())


def signin_redirect(request: HttpRequest) -> HttpResponseRedirect:
    return redirect_with_next(SIGNIN, request)
