"""Security headers on every response, error pages included."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from carekey.oidc.form_targets import redirect_origins
from carekey.routes import PRIVATE_PREFIXES

Handler = Callable[[HttpRequest], HttpResponse]

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def content_security_policy(request: HttpRequest) -> str:
    """The strict policy; a page that continues a sign-in for an app may also post (and
    so redirect) to that app's registered address (oidc/form_targets.py)."""
    extra = redirect_origins(request)
    if not extra:
        return CONTENT_SECURITY_POLICY
    allowed = " ".join(["'self'", *extra])
    return CONTENT_SECURITY_POLICY.replace("form-action 'self'", f"form-action {allowed}")


class SecurityHeadersMiddleware:
    """A strict CSP (no inline script or style), set outermost so error pages carry it too.

    Django's SecurityMiddleware and XFrameOptionsMiddleware add HSTS, nosniff,
    Referrer-Policy and X-Frame-Options.
    """

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.setdefault("Content-Security-Policy", content_security_policy(request))
        response.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if request.path_info.startswith(PRIVATE_PREFIXES):
            response.setdefault("Cache-Control", "no-store")
        return response
