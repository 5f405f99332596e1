"""The floor behind allauth's middleware, allauth's headless API and its own pages."""

from __future__ import annotations

from django.urls import include, path

from peers.common.views import floor

urlpatterns = [
    path("floor", floor, name="floor"),
    path("_allauth/", include("allauth.headless.urls")),
    path("accounts/", include("allauth.urls")),
]
