"""Apps that sign patients in through CareKey (OpenID Connect clients), as staff see them:
list, edit the addresses, disable (which revokes every token) and enable. The client
secret is never shown; it is stored hashed and given out once by `carekey createclient`."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import Exists, OuterRef, QuerySet
from django.http import HttpRequest
from oauth2_provider import admin as toolkit_admin  # registers the toolkit's admin first
from oauth2_provider.models import AccessToken, Application, Grant, IDToken, RefreshToken

from carekey.accounts import app_tokens
from carekey.accounts.models import DisabledClient

# Tokens and grants are the patients' and the apps' business, not the desk's.
for model in (Application, AccessToken, Grant, IDToken, RefreshToken):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
del toolkit_admin


@admin.action(description="Disable, and revoke every token it holds")
def disable(modeladmin: ClientAdmin, request: HttpRequest, queryset: QuerySet[Any]) -> None:
    revoked = sum(app_tokens.disable_client(request, request.user, c) for c in queryset)
    modeladmin.message_user(
        request,
        f"Disabled {queryset.count()} app(s); {revoked} token(s) revoked.",
        messages.SUCCESS,
    )


@admin.action(description="Enable")
def enable(modeladmin: ClientAdmin, request: HttpRequest, queryset: QuerySet[Any]) -> None:
    for client in queryset:
        app_tokens.enable_client(client)
    modeladmin.message_user(request, f"Enabled {queryset.count()} app(s).", messages.SUCCESS)


@admin.register(Application)
class ClientAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("name", "client_id", "client_type", "skip_authorization", "status")
    search_fields = ("name", "client_id")
    fields = (
        "name",
        "client_id",
        "client_type",
        "redirect_uris",
        "post_logout_redirect_uris",
        "skip_authorization",
        "created",
    )
    readonly_fields = ("client_id", "client_type", "created")
    actions = (disable, enable)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        """Each row's status in the list's own query, not one more query per row."""
        disabled = DisabledClient.objects.filter(application=OuterRef("pk"))
        rows: QuerySet[Any] = super().get_queryset(request).annotate(disabled=Exists(disabled))
        return rows

    @admin.display(description="Status")
    def status(self, obj: Any) -> str:
        return "Disabled" if obj.disabled else "Active"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # `carekey createclient` prints the secret once; the admin cannot
