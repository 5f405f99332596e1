"""Security events: who, when, from where, and what happened, never a secret."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models

from carekey import clock
from carekey.audit.events import EventType

# Kept as plain codes in the column choices: staff filter on the code, patients read
# the sentence (EventType.label) in their activity view.
EVENT_TYPES: tuple[str, ...] = tuple(EventType.values)


class SecurityEvent(models.Model):
    type = models.CharField(max_length=40, choices=[(t, t) for t in EVENT_TYPES])
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(default=clock.now, db_index=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=512, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["user", "-created_at"], name="securityevent_user_idx"),
        ]
        ordering: ClassVar[list[str]] = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.type} at {self.created_at:%Y-%m-%d %H:%M:%S}"
