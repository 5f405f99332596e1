from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect

from carekey.policy.models import SecurityPolicy


@admin.register(SecurityPolicy)
class SecurityPolicyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """A single row: the list view goes straight to its form."""

    fields = ("require_mfa", "max_app_lock_minutes", "require_app_lock")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not SecurityPolicy.objects.exists() and super().has_add_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, object] | None = None
    ) -> HttpResponse:
        policy, _ = SecurityPolicy.objects.get_or_create(pk=1)
        return HttpResponseRedirect(f"{policy.pk}/change/")
