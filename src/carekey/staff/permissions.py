"""What every staff member may do with patient records in the admin, superuser or not."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest


class SupportDeskAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Staff can look (the support desk's job); nobody adds or deletes here."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_staff)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_staff)
