"""Where a form in the sign-in flow may end up: the relying party's registered address.

Browsers apply the page's CSP `form-action` to every redirect that follows a form post,
so "Sign in", "Verify" or "Allow" on a page that continues an authorization request would
be blocked at the last hop, the redirect to the app. The origin of the client's
registered redirect URI (or post-logout URI) is added for that page alone; never an
address the request merely names.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.db import DatabaseError
from django.http import HttpRequest, QueryDict
from django.urls import reverse
from oauth2_provider.models import Application

from carekey.accounts import session_state
from carekey.routes import PORTAL_PREFIX


def _origin(uri: str) -> str:
    parts = urlsplit(uri)
    return f"{parts.scheme}://{parts.netloc}"


def _flow_query(request: HttpRequest) -> tuple[str, QueryDict] | None:
    """("authorize" | "logout", its query) when this page continues one of them."""
    endpoints = {
        reverse("oauth2_provider:authorize"): "authorize",
        reverse("oauth2_provider:rp-initiated-logout"): "logout",
    }
    if request.path_info in endpoints:
        return endpoints[request.path_info], request.GET
    following = request.POST.get("next") or request.GET.get("next") or ""
    waiting = not following and request.path_info.startswith(PORTAL_PREFIX)
    if waiting and hasattr(request, "session"):  # a step-up waiting to resume
        following = session_state.return_to(request.session) or ""
    path, _, query = following.partition("?")
    if path in endpoints:
        return endpoints[path], QueryDict(query)
    return None


def redirect_origins(request: HttpRequest) -> list[str]:
    """Never fails: with the database down (a 503 page) the strict policy simply stays."""
    try:
        return _registered_origins(request)
    except DatabaseError:
        return []


def _registered_origins(request: HttpRequest) -> list[str]:
    found = _flow_query(request)
    if found is None:
        return []
    kind, query = found
    if kind == "authorize":
        client = Application.objects.filter(client_id=query.get("client_id", "")).first()
        uri = query.get("redirect_uri", "")
        registered = client.redirect_uris.split() if client else []
    else:
        uri = query.get("post_logout_redirect_uri", "")
        registered = [
            u for c in Application.objects.filter(post_logout_redirect_uris__contains=uri)
            for u in c.post_logout_redirect_uris.split()
        ] if uri else []  # fmt: skip
    return [_origin(uri)] if uri and uri in registered else []
