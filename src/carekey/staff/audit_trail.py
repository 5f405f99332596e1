"""The audit trail in the staff admin: read-only for everyone, filterable, exportable."""

from __future__ import annotations

import csv
from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse

from carekey.accounts.models import User
from carekey.audit.models import SecurityEvent
from carekey.staff.permissions import SupportDeskAdmin


class PatientFilter(admin.SimpleListFilter):
    """By patient id (linked from the patient's page); no dropdown of a million names."""

    title = "patient"
    parameter_name = "patient"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        value = self.value()
        if value and value.isdigit():
            email = User.objects.filter(pk=int(value)).values_list("email", flat=True).first()
            if email:
                return [(value, email)]
        return []

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        if not value:
            return queryset
        return queryset.filter(user_id=int(value)) if value.isdigit() else queryset.none()


@admin.action(description="Export selected events to CSV")
def export_csv(
    modeladmin: SecurityEventAdmin, request: HttpRequest, queryset: QuerySet[SecurityEvent]
) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="carekey-audit.csv"'
    writer = csv.writer(response)
    writer.writerow(["id", "time", "type", "patient", "ip", "user_agent", "detail"])
    for event in queryset.select_related("user").order_by("created_at", "id").iterator():
        writer.writerow(
            [
                event.pk,
                event.created_at.isoformat(),
                event.type,
                event.user.email if event.user else "",
                event.ip or "",
                _cell(event.user_agent),
                _cell(str(event.detail)),
            ]
        )
    return response


def _cell(value: str) -> str:
    """Neutralise spreadsheet formulas a user agent or name could smuggle in."""
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value


@admin.register(SecurityEvent)
class SecurityEventAdmin(SupportDeskAdmin):
    """Read-only for everyone, superusers included: the trail is evidence."""

    list_display = ("created_at", "type", "user", "ip", "detail")
    list_filter = (PatientFilter, "type", "created_at")
    search_fields = ("user__email",)
    date_hierarchy = "created_at"
    list_select_related = ("user",)
    actions = (export_csv,)
    show_full_result_count = False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
