"""Permissions of the support desk that belong to no table of their own."""

from __future__ import annotations

from django.db import models


class SupportDesk(models.Model):
    """No rows and no table: only the anchor of the "carekey.reset_mfa" permission.

    Resetting a patient's factors hands the account to whoever knows the password, so it
    is granted on purpose (to a user or a group), never implied by being staff.
    """

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [  # noqa: RUF012 (Django reads it once; the migration records a list)
            ("reset_mfa", "Can reset a patient's two-step verification")
        ]
        verbose_name = "support desk"
        verbose_name_plural = "support desk"

    def __str__(self) -> str:
        return "Support desk"
