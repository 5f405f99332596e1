"""Where to send a person next, by route name, never off this site, never to a form's target.

`next` only ever names a page that answers GET: a POST-only address (a form's target)
answers 405 when a browser is sent there. A form posted by a session that has meanwhile
been signed out or locked returns, after sign-in or unlock, to the page the form was on,
marked so that page says the change was not saved.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.http import HttpRequest, HttpResponseRedirect
from django.urls import Resolver404, resolve, reverse
from django.utils.http import url_has_allowed_host_and_scheme

# Route names (urls.py) of the places the gate and the pages send people.
HOME = "home"
SIGNIN = "signin"
VERIFY = "signin-verify"
LOCKED = "locked"
SECURITY = "security"

# Routes that take only a form's POST: never a place to send a person back to
# (tests/integration/test_next_answers_get.py checks this list against the views).
POST_ONLY = frozenset(
    {
        "factor-cancel",
        "recovery-codes-saved",
        "app-lock",
        "devices-signout-others",
        "device-signout",
        "app-disconnect",
        "lock",
        "oauth2_provider:token",
        "oauth2_provider:revoke-token",
    }
)

# The query marker on `next` for a form that was posted but not saved, and why.
NOT_SAVED = "not_saved"
SIGNED_OUT = "signed_out"
WAS_LOCKED = "locked"
_SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
# Why a form sent to sign-in (or the second step, or the lock screen) was not saved.
_NOT_SAVED_BECAUSE = {SIGNIN: SIGNED_OUT, VERIFY: SIGNED_OUT, LOCKED: WAS_LOCKED}
# Forms whose purpose a signed-out or locked session already has: nothing was lost.
NOTHING_TO_SAVE = frozenset({"signout", "lock"})


def url(name: str, *args: Any, fragment: str = "") -> str:
    """The path of a named route, with an optional #fragment (a section of the page)."""
    path = reverse(name, args=args)
    return f"{path}#{fragment}" if fragment else path


def _view_name(path: str) -> str | None:
    try:
        return resolve(urlsplit(path).path).view_name
    except Resolver404:
        return None


def answers_get(path: str) -> bool:
    """False for a path routed to a POST-only view; a path routed nowhere is not refused."""
    return _view_name(path) not in POST_ONLY


def safe_next(value: str | None, default: str | None = None) -> str:
    """`value` if it is a page on this site that answers GET, else `default` (no open
    redirects, no 405)."""
    fallback = default if default is not None else url(HOME)
    if not value or len(value) > 2000:
        return fallback
    if not value.startswith("/") or value.startswith(("//", "/\\")):
        return fallback
    if any(ord(ch) < 0x21 for ch in value) or "\\" in value:
        return fallback
    if not url_has_allowed_host_and_scheme(value, allowed_hosts=None):
        return fallback
    if not answers_get(value):
        return fallback
    return value


def form_page(request: HttpRequest) -> str:
    """The page a POST's form was on: the Referer's path when it is this site's and answers
    GET, else the Security page for its forms, else Home."""
    section = url(SECURITY)
    fallback = section if request.path_info.startswith(section) else url(HOME)
    referer = request.headers.get("Referer", "")
    here = {request.get_host()}
    if not url_has_allowed_host_and_scheme(referer, here, require_https=request.is_secure()):
        return fallback
    parts = urlsplit(referer)
    if not parts.netloc:
        return fallback
    return safe_next(urlunsplit(("", "", parts.path, parts.query, "")), default=fallback)


def mark_not_saved(path: str, reason: str) -> str:
    """`path` with the marker saying a change posted from it was not saved."""
    parts = urlsplit(path)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != NOT_SAVED]
    query.append((NOT_SAVED, reason))
    return urlunsplit(("", "", parts.path, urlencode(query), parts.fragment))


def take_not_saved(path: str) -> tuple[str, str | None]:
    """`path` without the marker, and the marker's reason (None when it had none)."""
    parts = urlsplit(path)
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    reason = next((v for k, v in pairs if k == NOT_SAVED), None)
    if reason is None:
        return path, None
    query = urlencode([(k, v) for k, v in pairs if k != NOT_SAVED])
    return urlunsplit(("", "", parts.path, query, parts.fragment)), reason


def redirect_to(name: str, next_path: str) -> HttpResponseRedirect:
    """To the named route, carrying `next` (made safe, and URL-encoded)."""
    return HttpResponseRedirect(f"{url(name)}?{urlencode({'next': safe_next(next_path)})}")


def redirect_with_next(name: str, request: HttpRequest) -> HttpResponseRedirect:
    """To the named route, then back here: to this page for a GET; for a POST (a form
    whose session was signed out or locked meanwhile), to the page the form was on,
    marked as not saved."""
    if request.method in _SAFE_METHODS:
        return redirect_to(name, request.get_full_path_info())
    back = form_page(request)
    reason = _NOT_SAVED_BECAUSE.get(name)
    if not reason or _view_name(request.path_info) in NOTHING_TO_SAVE:
        return redirect_to(name, back)
    return redirect_to(name, mark_not_saved(back, reason))


def signin_redirect(request: HttpRequest) -> HttpResponseRedirect:
    return redirect_with_next(SIGNIN, request)
