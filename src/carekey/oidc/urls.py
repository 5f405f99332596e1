"""The provider's endpoints: only these of django-oauth-toolkit's (no self-service app
registration), under its namespace so its views find each other."""

from __future__ import annotations

from django.urls import path
from oauth2_provider import views as toolkit

from carekey.oidc import step_up
from carekey.oidc.discovery import DiscoveryView
from carekey.oidc.views import CareKeyAuthorizationView, CareKeyTokenView

app_name = "oauth2_provider"

urlpatterns = [
    path("authorize/", CareKeyAuthorizationView.as_view(), name="authorize"),
    path("token/", CareKeyTokenView.as_view(), name="token"),
    path("revoke_token/", toolkit.RevokeTokenView.as_view(), name="revoke-token"),
    path("introspect/", toolkit.IntrospectTokenView.as_view(), name="introspect"),
    path(".well-known/jwks.json", toolkit.JwksInfoView.as_view(), name="jwks-info"),
    path("userinfo/", toolkit.UserInfoView.as_view(), name="user-info"),
    path("logout/", toolkit.RPInitiatedLogoutView.as_view(), name="rp-initiated-logout"),
    path("step-up/", step_up.offer, name="step-up"),
    path(
        ".well-known/openid-configuration",
        DiscoveryView.as_view(),
        name="oidc-connect-discovery-info",
    ),
]
