"""The floor behind OTPMiddleware, the device list and the token step."""

from __future__ import annotations

from django.urls import path

from peers.common.views import floor
from peers.otp_site.views import devices, verify

urlpatterns = [
    path("floor", floor, name="floor"),
    path("otp/devices", devices, name="otp-devices"),
    path("otp/verify", verify, name="otp-verify"),
]
