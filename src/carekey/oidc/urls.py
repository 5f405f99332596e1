"""The provider's endpoints: only these of django-oauth-toolkit's (no self-service app
registration), under its namespace so its views find each other."""

from __future__ import annotations

from django.urls import path
from oauth2_provider import views as toolkit

from carekey.oidc import passkey_step_up, step_up
from carekey.oidc.discovery import DiscoveryView
from carekey.oidc.guard import refuses_nul
from carekey.oidc.views import CareKeyAuthorizationView, CareKeyTokenView

app_name = "oauth2_provider"

urlpatterns = [
    path("authorize/", refuses_nul(CareKeyAuthorizationView.as_view()), name="authorize"),
    path("token/", refuses_nul(CareKeyTokenView.as_view()), name="token"),
    path("revoke_token/", refuses_nul(toolkit.RevokeTokenView.as_view()), name="revoke-token"),
    path("introspect/", refuses_nul(toolkit.IntrospectTokenView.as_view()), name="introspect"),
    path(".well-known/jwks.json", refuses_nul(toolkit.JwksInfoView.as_view()), name="jwks-info"),
    path("userinfo/", refuses_nul(toolkit.UserInfoView.as_view()), name="user-info"),
    path(
        "logout/", refuses_nul(toolkit.RPInitiatedLogoutView.as_view()), name="rp-initiated-logout"
    ),
    path("step-up/", refuses_nul(step_up.offer), name="step-up"),
    path(
        "step-up/passkey/",
        refuses_nul(passkey_step_up.use_passkey),
        name="passkey-step-up",
    ),
    path(
        ".well-known/openid-configuration",
        refuses_nul(DiscoveryView.as_view()),
        name="oidc-connect-discovery-info",
    ),
]
