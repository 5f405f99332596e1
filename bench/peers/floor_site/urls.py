"""The floor's one route."""

from __future__ import annotations

from django.urls import path

from peers.common.views import floor

urlpatterns = [path("floor", floor, name="floor")]
