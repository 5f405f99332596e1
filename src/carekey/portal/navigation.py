"""Where to send a person next, never off this site."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponseRedirect
from django.utils.http import url_has_allowed_host_and_scheme

HOME = "/portal/"
SIGNIN = "/portal/signin"
VERIFY = "/portal/signin/verify"
LOCKED = "/portal/locked"
SECURITY = "/portal/security"


def safe_next(value: str | None, default: str = HOME) -> str:
    """`value` if it is a path on this site, else `default` (no open redirects)."""
    if not value or len(value) > 2000:
        return default
    if not value.startswith("/") or value.startswith(("//", "/\\")):
        return default
    if any(ord(ch) < 0x21 for ch in value) or "\\" in value:
        return default
    if not url_has_allowed_host_and_scheme(value, allowed_hosts=None):
        return default
    return value


def redirect_to(target: str, next_path: str) -> HttpResponseRedirect:
    return HttpResponseRedirect(f"{target}?{urlencode({'next': safe_next(next_path)})}")


def redirect_with_next(target: str, request: HttpRequest) -> HttpResponseRedirect:
    return redirect_to(target, request.get_full_path_info())


def signin_redirect(request: HttpRequest) -> HttpResponseRedirect:
    return redirect_with_next(SIGNIN, request)
