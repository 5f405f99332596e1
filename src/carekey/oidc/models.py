"""What CareKey knew about the sign-in when a code was issued, kept beside the grant.

The ID token is made at the token endpoint, where there is no browser session: how the
patient authenticated (acr, amr), when (auth_time) and in which session (sid) are read
from the session at the authorization endpoint and stored with the code.
"""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from oauth2_provider.models import AccessToken, Grant


class GrantContext(models.Model):
    grant = models.OneToOneField(Grant, on_delete=models.CASCADE, related_name="carekey")
    acr = models.CharField(max_length=8)
    amr = models.JSONField(default=list)
    auth_time = models.DateTimeField()
    sid = models.CharField(max_length=64)
    # A code works once: the first exchange claims it (one conditional UPDATE), and a
    # later one marks it replayed and revokes what the first issued (RFC 6749 §4.1.2).
    claimed = models.BooleanField(default=False)
    replayed = models.BooleanField(default=False)
    access_token = models.ForeignKey(
        AccessToken, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects: ClassVar[models.Manager[GrantContext]] = models.Manager()

    def __str__(self) -> str:
        return f"{self.acr} {self.amr}"
