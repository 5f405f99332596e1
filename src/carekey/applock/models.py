"""A patient's app-lock preference; no row means the defaults (off, 5 minutes, password)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from carekey import clock, conf

MINUTE_CHOICES = conf.DEFAULTS["CAREKEY_LOCK_MINUTES"]
DEFAULT_MINUTES = conf.DEFAULTS["CAREKEY_DEFAULT_LOCK_MINUTES"]


class AppLockPreference(models.Model):
    class Method(models.TextChoices):
        CODE = "code", _("Authenticator code")
        PASSWORD = "password", _("Password")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="app_lock"
    )
    enabled = models.BooleanField(default=False)
    timeout_minutes = models.PositiveSmallIntegerField(
        default=DEFAULT_MINUTES, choices=[(m, f"{m} minutes") for m in MINUTE_CHOICES]
    )
    unlock_method = models.CharField(max_length=10, choices=Method.choices, default="password")
    updated_at = models.DateTimeField(default=clock.now)

    def __str__(self) -> str:
        return f"app lock of user {self.user_id}"
